"""Tensors and kernels in notebooks (`runtime/display.py`): the HTML table states the tensor's real
facts, the spy picture's cells count the right entries and its PNG decodes to them, a huge sparse
matrix is pictured from its coordinates, every string is escaped, and kernels show their statement,
formats and explanation."""

from __future__ import annotations

import base64
import math
import struct
import time
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest

import einsparse as es
from einsparse.cluster.run import ClusterKernel
from einsparse.runtime.display import MOST_PIXELS, binned_counts, png
from einsparse.runtime.tensor import Tensor


class _Parts(HTMLParser):
    """The caption, the table's rows (header -> cell), the text of each <pre> and the <img> tags."""

    def __init__(self, text: str):
        super().__init__()
        self.caption, self.rows, self.pre, self.images = "", {}, [], []
        self._in, self._header = None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        self._in = tag
        if tag == "pre":
            self.pre.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.caption += data
        elif self._in == "th":
            self._header = data
        elif self._in == "td":
            self.rows[self._header] = self.rows.get(self._header, "") + data
        elif self._in == "pre":
            self.pre[-1] += data


def _level_bytes(tensor) -> int:
    return tensor.vals.nbytes + sum(getattr(level, name).nbytes for level in tensor.levels
                                    for name in ("pos", "crd", "lo", "tbl") if hasattr(level, name))


def _pixels(image: dict) -> np.ndarray:
    """The gray levels of a base64 PNG written by `display.png`, read back chunk by chunk."""
    data = base64.b64decode(image["src"].split("base64,")[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(data):
        (length,), tag = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(tag + body)
        chunks[tag] = body
        at += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 0)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, width + 1)
    assert not rows[:, 0].any()  # no filter on any row
    return rows[:, 1:]


MATRIX = np.array([[1.5, 0, 0, 2], [0, 0, 0, 0], [0, 3, 0, 0], [4, 0, 0, 5]])


@pytest.mark.parametrize("fmt, fill, kinds", [
    ("csr", None, "csr: dense, compressed"),
    ("csc", None, "csc: dense, compressed (modes 1, 0)"),
    ("coo", None, "coo: compressed-nonunique, singleton"),
    ("dcsr", np.inf, "dcsr: compressed, compressed"),
    ("dense", None, "dense: dense, dense"),
    ("dm", None, "dm: dense, bitmap"),
])
def test_the_table_states_the_tensors_facts(fmt, fill, kinds):
    source = np.where(MATRIX == 0, np.inf, MATRIX) if fill is not None else MATRIX
    tensor = es.tensor(source, fmt, fill=fill)
    parts = _Parts(tensor._repr_html_())
    assert parts.caption == "Tensor"
    assert parts.rows["shape"] == "(4, 4)"
    assert parts.rows["format"] == kinds
    assert parts.rows["dtype"] == "float64"
    # nnz counts every stored value: a bitmap level, like a dense one, stores its values dense
    assert int(parts.rows["stored entries"]) == tensor.nnz == (16 if fmt in ("dense", "dm") else 5)
    assert float(parts.rows["density"]) == pytest.approx(tensor.nnz / 16, rel=1e-3)
    assert float(parts.rows["fill"]) == (np.inf if fill is not None else 0.0)
    assert int(parts.rows["bytes"].split()[0]) == _level_bytes(tensor)
    assert len(parts.images) == 1


def test_bytes_past_a_kib_are_also_given_in_units():
    tensor = es.tensor(np.ones((40, 40)), "dense", name="A")
    parts = _Parts(tensor._repr_html_())
    assert parts.caption == "Tensor A"
    assert parts.rows["bytes"] == "12800 (12.5 KiB)"


def test_binned_counts_equal_numpy_sums_over_the_cells():
    pattern = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 1]])
    counts = binned_counts(np.nonzero(pattern), pattern.shape, most=2)
    np.testing.assert_array_equal(counts, pattern.reshape(2, 2, 2, 2).sum(axis=(1, 3)))
    np.testing.assert_array_equal(counts, [[3, 0], [1, 2]])

    rng = np.random.default_rng(3)  # 7 x 5 in cells of 3: the last row and column of cells are partial
    pattern = rng.random((7, 5)) < 0.4
    padded = np.zeros((9, 6), bool)
    padded[:7, :5] = pattern
    np.testing.assert_array_equal(binned_counts(np.nonzero(pattern), pattern.shape, most=3),
                                  padded.reshape(3, 3, 2, 3).sum(axis=(1, 3)))


def test_a_small_matrix_is_one_pixel_block_per_entry():
    parts = _Parts(es.tensor(MATRIX, "csr")._repr_html_())
    image = parts.images[0]
    gray = _pixels(image)
    np.testing.assert_array_equal(gray == 255, MATRIX == 0)  # white exactly where nothing is stored
    assert (gray[MATRIX != 0] <= 200).all()
    assert int(image["width"]) == int(image["height"]) == MOST_PIXELS


def test_darker_cells_hold_more_entries_and_the_picture_keeps_the_aspect():
    coords = np.array([[0, 0, 0, 0, 150], [0, 1, 2, 3, 450]])
    tensor = es.tensor((coords, np.ones(5)), "coo", shape=(300, 900))
    parts = _Parts(tensor._repr_html_())
    gray = _pixels(parts.images[0])
    assert gray.shape == (34, 100)  # cells of 9 x 9 coordinates
    assert gray[0, 0] == 0 and 0 < gray[150 // 9, 450 // 9] < 255
    assert np.count_nonzero(gray < 255) == 2
    assert (int(parts.images[0]["width"]), int(parts.images[0]["height"])) == (200, 68)


def test_a_huge_sparse_matrix_renders_quickly_without_becoming_dense(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the display made the tensor dense")

    monkeypatch.setattr(Tensor, "to_numpy", refuse)
    monkeypatch.setattr(Tensor, "__array__", refuse)
    coords = np.array([[0, 3, 999_999, 500_000], [0, 999_999, 999_999, 12]])
    for fmt in ("dcsr", "csr", "coo"):
        tensor = es.tensor((coords, np.arange(1.0, 5.0)), fmt, shape=(10 ** 6, 10 ** 6))
        start = time.perf_counter()
        parts = _Parts(tensor._repr_html_())
        assert time.perf_counter() - start < 1.0
        assert parts.rows["shape"] == "(1000000, 1000000)" and parts.rows["stored entries"] == "4"
        assert float(parts.rows["density"]) == pytest.approx(4e-12, rel=1e-3)
        gray = _pixels(parts.images[0])
        assert gray.shape == (100, 100)
        dark = {tuple(cell) for cell in np.argwhere(gray < 255)}
        assert dark == {(0, 0), (0, 99), (99, 99), (50, 0)}


@pytest.mark.parametrize("shape", [(), (6,), (3, 4, 5)])
def test_other_ranks_get_the_table_only(shape):
    tensor = es.tensor(np.ones(shape), "dense")
    parts = _Parts(tensor._repr_html_())
    assert parts.images == []
    assert parts.rows["shape"] == str(shape)
    assert int(parts.rows["stored entries"]) == math.prod(shape)


def test_an_empty_matrix_has_no_picture():
    parts = _Parts(es.tensor(np.ones((0, 5)), "csr")._repr_html_())
    assert parts.images == [] and parts.rows["density"] == "0"


def test_repr_stays_one_line():
    tensor = es.tensor(MATRIX, "csr", name="A")
    assert repr(tensor) == "Tensor(shape=(4, 4), format='csr', dtype=float64, nnz=5)"
    assert "\n" not in repr(tensor.with_fill(np.nan))


def test_every_string_is_escaped():
    tensor = es.tensor(MATRIX, "csr")
    tensor.name = '<b>"A" & B</b>'  # past the constructor's check, as a caller may set it
    text = tensor._repr_html_()
    assert "<b>" not in text and "&lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;" in text
    assert _Parts(text).caption == 'Tensor <b>"A" & B</b>'


def test_a_kernel_shows_its_statement_formats_and_explanation():
    kernel = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csc", "C": "csr"})
    text = kernel._repr_html_()
    parts = _Parts(text)
    assert parts.caption == "Kernel: C[i,j] = A[i,k]*B[k,j]"
    assert parts.rows == {"C": "csr: dense, compressed", "A": "csr: dense, compressed",
                          "B": "csc: dense, compressed (modes 1, 0)"}
    assert parts.pre == [kernel.explain()]
    assert "threads &gt; 1" in text  # the explanation's own '>' escaped


def test_the_wrappers_show_their_own_explanation():
    planned = es.compile("y[i] = A[i,j]*B[j,k]*x[k]", {"A": "csr", "B": "csr"})
    assert type(planned).__name__ == "PlannedKernel"
    parts = _Parts(planned._repr_html_())
    assert parts.caption == "PlannedKernel: y[i] = A[i,j]*B[j,k]*x[k]"
    assert parts.pre == [planned.explain()] and parts.pre != [planned.fused.explain()]

    ring = es.compile("C[i,j] = A[i,k]*B[k,j]", {"A": "csr", "B": "csr"}, semiring="min_plus")
    parts = _Parts(ring._repr_html_())
    assert parts.caption == f"SemiringKernel (min_plus): {ring.kernel.statement}"
    assert "min=" in parts.caption and parts.pre == [ring.explain()]

    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    cluster = ClusterKernel(kernel, "y[i] = A[i,j]*x[j]", client=None, evaluate=None)
    parts = _Parts(cluster._repr_html_())
    assert parts.caption == "ClusterKernel: y[i] = A[i,j]*x[j]" and parts.rows["A"] == "csr: dense, compressed"
    assert parts.pre == [cluster.explain()] and "cluster:" in parts.pre[0]


def test_png_round_trips_any_gray_levels():
    gray = np.arange(35, dtype=np.uint8).reshape(5, 7) * 7
    encoded = base64.b64encode(png(gray)).decode()
    np.testing.assert_array_equal(_pixels({"src": f"data:image/png;base64,{encoded}"}), gray)



def test_ipython_displays_the_table_and_keeps_the_one_line_repr():
    """What Jupyter asks of an object: IPython's display formatter, which a notebook kernel runs."""
    formatters = pytest.importorskip("IPython.core.formatters")
    tensor = es.tensor(np.diag([1.0, 2.0, 0.0, 4.0]), format="csr")
    data, _ = formatters.DisplayFormatter().format(tensor)
    assert set(data) == {"text/plain", "text/html"}
    assert data["text/plain"] == repr(tensor) and data["text/html"] == tensor._repr_html_()
    kernel = es.compile("y[i] = A[i,j]*x[j]", {"A": "csr"})
    data, _ = formatters.DisplayFormatter().format(kernel)
    assert _Parts(data["text/html"]).caption == "Kernel: y[i] = A[i,j]*x[j]"
