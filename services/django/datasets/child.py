"""The ingest child process: `python -m datasets.child MEMORY_MB`, one JSON request on standard
input, one JSON answer on standard output.

A Gunicorn worker reads and converts a partner's file here (datasets.ingest runs it), so a file
that needs more memory than MEMORY_MB fails in this process and never in the worker. Before
anything else the process bounds itself: RLIMIT_DATA caps the memory it can allocate (RLIMIT_AS
would also count the address space libraries reserve and never use), and it offers itself first
to the kernel's OOM killer, so that should the container run short all the same, this process goes
and no worker does. It sets both itself, after the fork: a preexec_fn in a threaded worker could
deadlock. Its environment (datasets.ingest.CHILD_ENVIRONMENT) keeps it to one thread.

Answers: {"layout": ..., "findings": ...} or {"written": true}; {"refused": message} when the file breaks a rule;
{"out_of_memory": true}; {"os_error": errno} when the disk fails (the parent words it).
"""
import resource
import sys


def _bound(megabytes):
    limit = megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass  # no /proc to write: the rlimit still holds


def main():
    _bound(int(sys.argv[1]))
    serve(sys.stdin, sys.stdout)


def serve(requests, answers):
    """Reads one request from `requests` and writes its answer to `answers`."""
    # Imported only now, so that the bound covers what pyarrow allocates as it loads.
    import json
    from pathlib import Path

    from datasets import reading

    request = json.load(requests)
    if request.get("language"):
        reading.use_language(request["language"], request["locale_dir"])
    limits = reading.Limits(**request["limits"])
    source = Path(request["source"])
    try:
        if request["action"] == "examine":
            layout, findings = reading.examine(source, limits, reading.Options.from_json(request["options"]))
            answer = {"layout": layout.to_json(), "findings": findings.to_json()}
        else:
            layout = reading.Layout.from_json(request["layout"])
            reading.convert(source, layout, Path(request["target"]), limits)
            answer = {"written": True}
    except reading.IngestError as error:
        answer = {"refused": str(error)}
    except MemoryError:
        answer = {"out_of_memory": True}
    except OSError as error:
        print(f"ingest child: {error!r}", file=sys.stderr)
        answer = {"os_error": error.errno}
    json.dump(answer, answers)


if __name__ == "__main__":
    main()
