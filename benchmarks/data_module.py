"""Write a generated Lambda module of about N megabytes: literal data (a
product catalogue of dicts, as code generators emit it) and a small handler
with one real leak, the shape issue 11 measures ``check`` and ``fix`` on.

    python benchmarks/data_module.py OUT.py [--megabytes 10]
"""
from __future__ import annotations

import argparse
from pathlib import Path

HANDLER = '''

SEEN_SKUS = []


def lambda_handler(event, context):
    sku = event["sku"]
    SEEN_SKUS.append(sku)
    item = CATALOGUE.get(sku, {})
    return {"sku": sku, "price": item.get("price"), "seen": len(SEEN_SKUS)}
'''


def module_text(megabytes: float) -> str:
    lines = ['"""Generated product catalogue: do not edit."""', "CATALOGUE = {"]
    size, index = 0, 0
    while size < megabytes * 1_000_000:
        line = (f'    "SKU-{index:07d}": {{"name": "Product {index}", "price": {index % 997 + 0.99}, '
                f'"tags": ["catalogue", "generated", "batch-{index % 50}"], "stock": {index % 113}}},')
        lines.append(line)
        size += len(line) + 1
        index += 1
    lines.append("}")
    return "\n".join(lines) + HANDLER


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--megabytes", type=float, default=10)
    args = parser.parse_args()
    args.out.write_text(module_text(args.megabytes))


if __name__ == "__main__":
    main()
