"""Kinds of module-level values, by the constructor that makes them.

Kept free of LibCST so rules can import it cheaply.
"""

CONTAINER_TYPES = {
    "list": "list",
    "dict": "dict",
    "set": "set",
    "bytearray": "bytearray",
    "collections.deque": "deque",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
    "typing.DefaultDict": "defaultdict",
}
BUFFER_TYPES = {"io.StringIO": "io.StringIO", "io.BytesIO": "io.BytesIO"}
MAPPING_KINDS = frozenset({"dict", "defaultdict", "OrderedDict", "Counter"})
CONTAINER_KINDS = frozenset(CONTAINER_TYPES.values())
BUFFER_KINDS = frozenset(BUFFER_TYPES.values())
MUTABLE_KINDS = CONTAINER_KINDS | BUFFER_KINDS

# The middle part of a closure variable's state key, as Python's qualified names spell it:
# ``("app.py", "make_handler", CLOSURE, "count")``.
CLOSURE = "<locals>"
