"""warmstate's rules, one module each; ``ALL_RULES`` is the registry."""
from rules import (
    global_accumulator,
    mutable_class_attribute,
    mutable_default_argument,
    unbounded_container,
    unreset_buffer,
)

ALL_RULES = tuple(
    module.RULE
    for module in (
        unbounded_container,
        unreset_buffer,
        mutable_class_attribute,
        mutable_default_argument,
        global_accumulator,
    )
)
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
