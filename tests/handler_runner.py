"""Run a fixture's handler in this fresh interpreter, once per event, and print
the last result as JSON.  Tests call it in a subprocess: warm (several events
in one process) and cold (a new process for the last event)."""
import importlib.util
import json
import sys


def main(path, handler_name, events_json):
    spec = importlib.util.spec_from_file_location("handler_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, handler_name)
    result = None
    for event in json.loads(events_json):
        result = handler(event, None)
    print(json.dumps(result, sort_keys=True, default=repr))


if __name__ == "__main__":
    main(*sys.argv[1:4])
