import sys

from portal_bench.cli import main

sys.exit(main(sys.argv[1:]))
