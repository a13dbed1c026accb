"""Generate a corpus of Lambda-style modules for benchmarks (deterministic)."""
from __future__ import annotations

import random
from pathlib import Path

HEADER = '''"""Service module {index}: generated for warmstate's benchmark."""
import io
import json
import logging
import os
from collections import defaultdict, deque

import boto3

logger = logging.getLogger(__name__)
s3 = boto3.client("s3")
TABLE = os.environ.get("TABLE_NAME", "table-{index}")
LIMIT = int(os.environ.get("LIMIT", "{limit}"))
RECENT = deque(maxlen=50)
_connection = None
'''

STATE = [
    "SEEN_{n} = set()\n",
    "AUDIT_{n} = []\n",
    "BY_KEY_{n} = defaultdict(list)\n",
    "BUFFER_{n} = io.StringIO()\n",
    "COUNTS_{n} = {{\"ok\": 0, \"failed\": 0}}\n",
]

CLASS = '''

class Repository{n}:
    cache = {{}}

    def __init__(self, name):
        self.name = name
        self.rows = []

    def add(self, row):
        self.rows.append(row)
        if row.get("id") in self.cache:
            return False
        self.cache[row.get("id")] = row
        return True

    def flush(self):
        body = json.dumps(self.rows)
        s3.put_object(Bucket=TABLE, Key=self.name, Body=body)
        self.rows = []
'''

HELPER = '''

def helper_{n}(record, options=None):
    """Transform one record."""
    options = options or {{}}
    result = {{}}
    for key, value in record.items():
        if key.startswith("_"):
            continue
        if isinstance(value, str):
            result[key] = value.strip().lower()
        elif isinstance(value, (int, float)):
            result[key] = value * {factor}
        else:
            try:
                result[key] = json.loads(json.dumps(value))
            except (TypeError, ValueError):
                logger.warning("cannot copy %s", key)
    {mutation}
    return result
'''

MUTATIONS = [
    "SEEN_{m}.add(record.get('id'))",
    "AUDIT_{m}.append(result)",
    "BY_KEY_{m}[record.get('key')].append(result)",
    "BUFFER_{m}.write(json.dumps(result))",
    "COUNTS_{m}['ok'] += 1",
    "RECENT.append(result)",
]

HANDLER = '''

def _connect():
    global _connection
    if _connection is None:
        _connection = boto3.client("sqs")
    return _connection


def lambda_handler(event, context):
    repository = Repository{c}("orders")
    processed = []
    for record in event.get("Records", []):
        body = json.loads(record["body"])
{calls}
        repository.add(body)
        processed.append(body)
    _connect()
    if len(processed) > LIMIT:
        repository.flush()
    return {{"processed": len(processed), "recent": list(RECENT)}}


if __name__ == "__main__":
    print(lambda_handler({{"Records": []}}, None))
'''


def module_source(index: int, rng: random.Random) -> str:
    parts = [HEADER.format(index=index, limit=rng.randint(10, 100))]
    state_count = rng.randint(2, 5)
    for n in range(state_count):
        parts.append(STATE[n % len(STATE)].format(n=n))
    classes = rng.randint(1, 3)
    for n in range(classes):
        parts.append(CLASS.format(n=n))
    helpers = rng.randint(8, 20)
    for n in range(helpers):
        m = rng.randrange(state_count)
        mutation = MUTATIONS[m % len(STATE)].format(m=m) if rng.random() < 0.5 else "pass"
        parts.append(HELPER.format(n=n, factor=rng.randint(1, 9), mutation=mutation))
    calls = "\n".join(f"        body = helper_{n}(body)" for n in rng.sample(range(helpers), k=min(4, helpers)))
    parts.append(HANDLER.format(c=rng.randrange(classes), calls=calls))
    return "".join(parts)


def generate(directory: Path, count: int, seed: int = 1) -> list:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = directory / f"service_{index:03d}.py"
        path.write_text(module_source(index, rng))
        paths.append(path)
    return paths
