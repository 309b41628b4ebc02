"""How a one-index workspace accumulates (see `lower`): a dense row with a list of the coordinates it
touched, or, when a dense row would be too large, a list of (coordinate, value) pairs sorted and merged
before it is read. The runtime chooses per call from the extents (`runtime.kernel`)."""

DENSE_ROW = "dense"
PAIR_LIST = "list"
