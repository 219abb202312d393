"""The CNN shape table of the study notes (seed 004_0e910c1afd9d8c51.txt, "CNN에서의 출력
데이터 shape 문제"), rebuilt in groundup and checked row by row.

The note's network: a (39, 31, 1) image (height, width, channels), four convolutions
(stride 1, no padding) with 2x2 max pooling after the first three, a flatten and a fully
connected layer of 100 units. Its table, transcribed below, lists each layer's filter,
input and output shape (in (H, W, C) order) and parameter count. Every shape in it is
right; four parameter counts and the total are not, and one filter size is inconsistent
with its own row. Where the note is wrong the test asserts the correct value and says why.
"""

from groundup import nn
from groundup.inspect import conv_output_shape, pool_output_shape, summary

# (layer, filter as written, input (H, W, C), output (H, W, C), parameters as written)
NOTE_TABLE = [
    ("conv1", (4, 4), (39, 31, 1), (36, 28, 20), 320),
    ("pool1", (2, 2), (36, 28, 20), (18, 14, 20), 0),
    ("conv2", (3, 3), (18, 14, 20), (16, 12, 40), 7_200),
    ("pool2", (2, 2), (16, 12, 40), (8, 6, 40), 0),
    ("conv3", (2, 2), (8, 6, 40), (6, 4, 60), 21_600),
    ("pool3", (2, 2), (6, 4, 60), (3, 2, 60), 0),
    ("conv4", (2, 2), (3, 2, 60), (2, 1, 80), 19_200),
    ("flatten", None, (2, 1, 80), (160,), 0),
    ("fc", None, (160,), (100,), 160_000),
]
NOTE_TOTAL = 208_320

# What the note got wrong, with the correct value and the reason.
CORRECTIONS = {
    "conv1": (340, "(4*4*1 + 1) * 20: the note counts the 320 weights but not the 20 biases"),
    "conv2": (7_240, "(3*3*20 + 1) * 40: the note's 7,200 = 20*40*3*3 forgets the 40 biases"),
    "conv3": (
        21_660,
        "(3*3*40 + 1) * 60: the note's 21,600 = 3*3*40*60 and its output (6, 4) "
        "both need a 3x3 filter, not the (2, 2) written in the row",
    ),
    "conv4": (19_280, "(2*2*60 + 1) * 80: the note's 19,200 forgets the 80 biases"),
    "fc": (16_100, "(160 + 1) * 100: the note's 160,000 is ten times the 16,000 weights"),
}
CORRECT_TOTAL = 64_620  # 340 + 7,240 + 21,660 + 19,280 + 16,100; 64,320 without the biases


def build_note_network() -> nn.Sequential:
    """The note's network in PyTorch layout; conv3 gets the 3x3 filter its row implies."""
    return nn.Sequential(
        nn.Conv2d(1, 20, 4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(40, 60, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(60, 80, 2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(160, 100),
    )


def hwc(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(N, C, H, W) -> (H, W, C), the note's order; (N, F) -> (F,)."""
    return (shape[2], shape[3], shape[1]) if len(shape) == 4 else shape[1:]


def test_every_shape_and_parameter_count_of_the_note_table():
    model = build_note_network()
    info = summary(model, (1, 39, 31), verbose=False)  # torch's (C, H, W) for the (39, 31, 1) image
    rows = [layer for layer in info.layers if layer.depth == 1 and layer.type != "ReLU"]
    assert len(rows) == len(NOTE_TABLE)
    for (name, _, note_in, note_out, note_params), row in zip(NOTE_TABLE, rows, strict=True):
        assert hwc(row.input_shape) == note_in, f"{name}: input shape"
        assert hwc(row.output_shape) == note_out, f"{name}: output shape"
        if name in CORRECTIONS:
            correct, why = CORRECTIONS[name]
            assert row.params == correct, f"{name}: {why}"
            assert row.params != note_params, f"{name}: the note's {note_params:,} is wrong: {why}"
        else:
            assert row.params == note_params == 0, f"{name}: pooling and flatten learn nothing"
    assert info.total_params == CORRECT_TOTAL, "the sum of the corrected rows"
    assert sum(r[4] for r in NOTE_TABLE) == NOTE_TOTAL, "the note's total sums its own rows"
    weights = sum(p.numel() for n, p in model.named_parameters() if n.endswith("weight"))
    assert weights == 64_320, "without biases: 64,320, still not 208,320 (the fc row is 10x)"


def test_the_shape_formula_reproduces_each_row():
    h_w = (39, 31)
    for name, kernel, _, note_out, _ in NOTE_TABLE[:7]:
        if name.startswith("conv"):
            k = (3, 3) if name == "conv3" else kernel
            h_w = conv_output_shape(h_w, k)  # floor((H - K) / 1) + 1
        else:
            h_w = pool_output_shape(h_w, kernel)  # floor(H / 2)
        assert h_w == note_out[:2], name
    # the (2, 2) filter written for conv3 would give (7, 5), not the (6, 4) in the table ...
    assert conv_output_shape((8, 6), (2, 2)) == (7, 5)
    # ... although pooling floors both to (3, 2), so the rest of the table would not change
    assert pool_output_shape((7, 5), 2) == pool_output_shape((6, 4), 2) == (3, 2)
