#!/usr/bin/env python3
"""Build assets/fonts/NotoSansSC-subset.otf, the bundled Chinese fallback font.

Source: Noto Sans CJK SC (SIL Open Font License 1.1), face 2 of Debian's
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (package fonts-noto-cjk).
Kept: ASCII and Latin-1, general and CJK punctuation, full-width forms, the GB2312
symbol rows and level-1 hanzi, and every character of locales/zh-CN.yml, so no text of
the window lacks a glyph. Needs `pip install fonttools`. Run again after editing the
Chinese texts.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_FACE = 2  # 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
OUT = ROOT / "assets" / "fonts" / "NotoSansSC-subset.otf"


def gb2312_rows(first, last):
    chars = []
    for row in range(first, last + 1):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row + 0xA0, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def main():
    chars = set(chr(c) for c in range(0x20, 0x100))
    chars.update(chr(c) for c in range(0x2000, 0x2070))  # general punctuation
    chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
    chars.update(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
    chars.update(gb2312_rows(1, 9))  # symbols
    chars.update(gb2312_rows(16, 55))  # level-1 hanzi
    chars.update((ROOT / "locales" / "zh-CN.yml").read_text(encoding="utf-8"))
    chars = sorted(c for c in chars if c.isprintable())

    text_file = ROOT / "target" / "font-subset-chars.txt"
    text_file.parent.mkdir(exist_ok=True)
    text_file.write_text("".join(chars), encoding="utf-8")
    subprocess.run(
        [
            sys.executable, "-m", "fontTools.subset", str(SOURCE),
            f"--font-number={SC_FACE}",
            f"--text-file={text_file}",
            f"--output-file={OUT}",
            "--layout-features=*",
            "--no-hinting",
            "--desubroutinize",
            "--name-IDs=*",
        ],
        check=True,
    )
    print(f"{OUT}: {len(chars)} characters, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
