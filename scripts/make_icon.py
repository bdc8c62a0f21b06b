#!/usr/bin/env python3
"""Draw assets/icon.png (256x256) and assets/icon.ico: three person silhouettes on a
rounded teal square. Needs Pillow."""

import pathlib

from PIL import Image, ImageDraw

ROOT = pathlib.Path(__file__).resolve().parent.parent
S = 4  # supersampling
SIZE = 256 * S


def person(draw, cx, top, scale, fill):
    r = 26 * scale * S
    draw.ellipse([cx - r, top, cx + r, top + 2 * r], fill=fill)
    body_top = top + 2 * r + 8 * scale * S
    w = 46 * scale * S
    h = 70 * scale * S
    draw.rounded_rectangle([cx - w, body_top, cx + w, SIZE], radius=w, fill=fill)


def main():
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([8 * S, 8 * S, SIZE - 8 * S, SIZE - 8 * S], radius=52 * S,
                           fill=(18, 120, 130, 255))
    mask = Image.new("L", (SIZE, SIZE), 0)
    mdraw = ImageDraw.Draw(mask)
    mdraw.rounded_rectangle([8 * S, 8 * S, SIZE - 8 * S, SIZE - 8 * S], radius=52 * S, fill=255)
    people = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pdraw = ImageDraw.Draw(people)
    person(pdraw, 70 * S, 78 * S, 0.75, (150, 215, 220, 255))
    person(pdraw, 186 * S, 78 * S, 0.75, (150, 215, 220, 255))
    person(pdraw, 128 * S, 52 * S, 0.95, (255, 255, 255, 255))
    alpha = Image.composite(people.split()[3], mask, mask)
    alpha = Image.composite(alpha, Image.new("L", (SIZE, SIZE), 0), mask)
    clipped = people.copy()
    clipped.putalpha(alpha)
    img = Image.alpha_composite(img, clipped)
    img = img.resize((256, 256), Image.LANCZOS)
    img.save(ROOT / "assets" / "icon.png", optimize=True)
    img.save(ROOT / "assets" / "icon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64),
                                                  (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
