#!/usr/bin/env python3
"""Writes the subtitle files klang's parser is judged on (tests/it/subtitles.rs)
into tests/fixtures/subs/. The texts are the project's own, written for these
tests (MIT like the code); only the encodings, line ends and markup vary.

    python3 scripts/make-subtitle-fixtures.py

Python's codecs do the encoding, so the bytes are not klang's own idea of
CP1252, GB2312, Big5 or UTF-16.
"""
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "subs")


def write(name, text, encoding="utf-8", bom=b"", crlf=False):
    if crlf:
        text = text.replace("\n", "\r\n")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bom + text.encode(encoding))


# Markup, labels, a two-line cue, a cue of styling alone (skipped).
PLAIN = """1
00:00:01,000 --> 00:00:03,500
<i>The lighthouse</i> was dark that night.

2
00:00:04,000 --> 00:00:06,250
{\\an8}JOHN: Did you <b>see</b> it?

3
00:00:06,500 --> 00:00:09,000
- MARY: I saw it.
- JOHN: So did I.

4
00:00:10,000 --> 00:00:11,000
<font color="#ffffff"></font>

5
00:00:12,000 --> 00:00:14,000
Tom &amp; Jerry, <u>together</u>
again.
"""

# Out of order, an overlap, a wrong index.
SHUFFLED = """7
00:00:05,000 --> 00:00:07,000
Second in time.

3
00:00:01,000 --> 00:00:05,500
First in time, running over.

3
00:00:09,000 --> 00:00:10,000
Third.
"""

UNICODE = """1
00:00:01,000 --> 00:00:02,000
Ça va ? Größe, ½ € — ok.

2
00:00:02,500 --> 00:00:04,000
Ελληνικά and 日本語.
"""

CP1252 = """1
00:00:00,500 --> 00:00:02,000
We met at the café.

2
00:00:02,500 --> 00:00:05,000
“Don’t be naïve,” she said.

3
00:00:05,500 --> 00:00:07,000
Crème brûlée — façade — señor.
"""

CHINESE = """1
00:00:01,000 --> 00:00:03,000
今天天气很好，我们去公园散步吧。

2
00:00:03,500 --> 00:00:06,000
李明：我们先去吃饭，然后再去看电影。

3
00:00:06,500 --> 00:00:09,000
这个城市的夜晚非常安静，街上没有什么人。

4
00:00:09,500 --> 00:00:12,000
他说明天早上八点在火车站等我们。
"""

TRADITIONAL = """1
00:00:01,000 --> 00:00:03,000
今天天氣很好，我們去公園散步吧。

2
00:00:03,500 --> 00:00:06,000
這個城市的夜晚非常安靜，街上沒有什麼人。

3
00:00:06,500 --> 00:00:09,000
他說明天早上八點在火車站等我們。
"""

NO_INDICES = """00:00:01,000 --> 00:00:02,000
No number above me.

00:00:02,500 --> 00:00:04,000
Nor above me.
00:00:04,500 --> 00:00:06,000
And no blank line before me.
"""

ASS = """[Script Info]
; Written for klang's tests
Title: Lighthouse
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.50,Default,Keeper,0,0,0,,{\\an8}The light is {\\i1}out{\\i0}.
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,A translator's note, not spoken.
Dialogue: 0,0:00:04.00,0:00:06.00,Default,,0,0,0,,{\\pos(320,50)\\c&H00FFFF&}Line one,\\Nline two.
Dialogue: 0,0:00:06.50,0:00:08.25,Default,Sailor,0,0,0,,{\\fad(200,200)}Wait{\\b1}, wait{\\b0}\\h!
Dialogue: 1,0:00:07.00,0:00:08.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}
Dialogue: 0,0:00:09.00,0:00:10.00,Default,,0,0,0,,KEEPER: Go.
"""

VTT = """WEBVTT - Lighthouse
Kind: captions
Language: en

STYLE
::cue(.loud) { color: red }

NOTE written for klang's tests,
over two lines

intro
00:01.000 --> 00:03.000 align:start position:10%
<v Anna>Hello, <i>sailor</i>.</v>

00:00:03.500 --> 00:00:05.000
<v.loud Old Ben>Who <c.loud>goes</c> there?

3
00:05.500 --> 00:07.000 line:0
<00:05.500>Only <00:06.000><b>the wind</b>.
"""

os.makedirs(OUT, exist_ok=True)
write("plain-utf8.srt", PLAIN)
write("shuffled-utf8-bom.srt", SHUFFLED, bom=b"\xef\xbb\xbf")
write("utf16le-bom.srt", UNICODE, "utf-16-le", bom=b"\xff\xfe")
write("utf16be-bom.srt", UNICODE, "utf-16-be", bom=b"\xfe\xff")
write("cp1252-crlf.srt", CP1252, "cp1252", crlf=True)
write("gb2312.srt", CHINESE, "gb2312")
write("big5.srt", TRADITIONAL, "big5")
write("no-indices.srt", NO_INDICES)
write("styled.ass", ASS, crlf=True)
write("voices.vtt", VTT)
