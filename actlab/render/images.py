"""Small grey-level images (the 8x8 digits) as text and as a figure grid.

    lines = image_lines(pixels, (8, 8))        # 8 lines of 16 characters, darker = more ink
    text = side_by_side([(lines, ["true 3", "said 8"]), ...], width=80)
    fig = image_grid([(pixels, "true 3, said 8 (0.97)"), ...], (8, 8))
"""

from __future__ import annotations

from actlab.render import files

SHADES = " ░▒▓█"  # ink 0 to 1
GAP = 3


def image_lines(pixels, shape) -> list[str]:
    """An image as text, two characters a pixel (terminal cells are about twice
    as tall as wide); values in [0, 1] (more ink is darker)."""
    h, w = shape
    top = len(SHADES) - 1
    lines = []
    for r in range(h):
        row = ""
        for c in range(w):
            v = min(max(float(pixels[r * w + c]), 0.0), 1.0)
            row += SHADES[int(round(v * top))] * 2
        lines.append(row)
    return lines


def side_by_side(blocks, *, width: int) -> str:
    """Blocks of lines (an image and its caption lines) placed left to right,
    as many per row as ``width`` allows, rows of blocks one under the other."""
    if not blocks:
        return ""
    block_w = max(len(line) for lines, caption in blocks for line in [*lines, *caption])
    per_row = max(1, (width + GAP) // (block_w + GAP))
    out = []
    for start in range(0, len(blocks), per_row):
        group = [lines + caption for lines, caption in blocks[start:start + per_row]]
        height = max(len(g) for g in group)
        for i in range(height):
            out.append((" " * GAP).join((g[i] if i < len(g) else "").ljust(block_w) for g in group).rstrip())
        out.append("")
    return "\n".join(out[:-1])


def image_grid(items, shape, *, title: str = "", columns: int = 5):
    """A matplotlib figure of images with a caption each: [(pixels, caption), ...]."""
    import numpy as np

    n = max(1, len(items))
    cols = min(columns, n)
    rows = -(-n // cols)
    fig, axes = files.new_figure(rows, cols, figsize=(2.2 * cols, 2.5 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (pixels, caption) in zip(axes.flat, items):
        ax.imshow(np.asarray(pixels, np.float64).reshape(shape), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(caption, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
