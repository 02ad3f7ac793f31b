#!/usr/bin/env python3
"""A hostile API on 127.0.0.1:PORT for memory measurements: every request
gets HTTP 200 and a chunked JSON body that never ends (or, with a size
argument, ends after SIZE bytes). Usage: hostile-answer.py PORT [SIZE]"""
import socket
import sys
import threading

PORT = int(sys.argv[1])
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else None
CHUNK = b"a" * (1 << 20)
HEAD = b'{"code":200,"msg":"' 


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def serve(conn):
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + chunk(HEAD))
        sent = len(HEAD)
        while SIZE is None or sent < SIZE:
            conn.sendall(chunk(CHUNK))
            sent += len(CHUNK)
        conn.sendall(chunk(b'"}') + b"0\r\n\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", PORT))
    server.listen(16)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
