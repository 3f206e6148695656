"""`make bench`: run every benchmark in this folder and print its figures.

Each benchmark is a module with a `run()` that returns a list of result lines.
Record the figures, with the machine they ran on, in docs/benchmarks.md.
"""

import os
import platform
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spaces_site.settings")

BENCHMARKS = [
    "benchmarks.page_render",
    "benchmarks.ws_fanout",
    "benchmarks.media_fanout",
    "benchmarks.media_browser",
    "benchmarks.reminders",
    "benchmarks.egress",
    "benchmarks.hls_serving",
    "benchmarks.hls_audience",
    "benchmarks.hls_latency",
    "benchmarks.captions_engine",
    "benchmarks.captions_latency",
]


def main() -> int:
    django.setup()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    only = sys.argv[1:]
    for name in BENCHMARKS:
        if only and not any(word in name for word in only):
            continue
        module = __import__(name, fromlist=["run"])
        print(f"\n## {name}")
        for line in module.run():
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
