"""The composed stack under test: the shared stack helper (ops/lib/portal_stack), found from the
environment, with testinfra's view into its containers.

ops/test brings an isolated project up and exports COMPOSE_PROJECT_NAME, PORTAL_ENV_FILE and
PORTAL_TEST_URL; every stack test reaches the stack only through this object.
"""
import json
import os

import testinfra

from portal_stack import stack as shared
from portal_stack.stack import ROOT  # noqa: F401  (the tests import it from here)


class Stack(shared.Stack):
    @classmethod
    def from_environment(cls):
        missing = [n for n in ("COMPOSE_PROJECT_NAME", "PORTAL_ENV_FILE", "PORTAL_TEST_URL") if not os.environ.get(n)]
        if missing:
            return None, f"stack tests need a running stack ({', '.join(missing)} unset): run them with ops/test"
        return cls(os.environ["COMPOSE_PROJECT_NAME"], os.environ["PORTAL_ENV_FILE"], os.environ["PORTAL_TEST_URL"]), None

    def host(self, container):
        return testinfra.get_host(f"docker://{container}")

    def processes(self, container):
        """Every process in a container, read with psutil inside it (the images have no `ps`)."""
        script = ("import json, psutil; print(json.dumps([p.info for p in psutil.process_iter("
                  "['pid', 'ppid', 'uids', 'username', 'cmdline', 'status'])]))")
        return json.loads(self.host(container).check_output(f'python3 -c "{script}"'))
