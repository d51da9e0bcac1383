"""What eval.py and datecheck.py need before they can run: the two Debian
packages holding the references, and a built `newsfeed` CLI. When one is
missing, the run stops with exit status 2 and one line saying how to get it,
so a missing dependency is never mistaken for a conformance failure."""
import importlib.util
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CLI = os.path.join(REPO, "build", "release", "cli", "newsfeed")

GOFEED_PACKAGE = "golang-github-mmcdole-gofeed-dev"
GOFEED_DIR = "/usr/share/gocode/src/github.com/mmcdole/gofeed"
GOFEED_TESTDATA = os.path.join(GOFEED_DIR, "testdata")
GOFEED_DATE_PARSER = os.path.join(GOFEED_DIR, "internal", "shared", "dateparser.go")
FEEDPARSER_PACKAGE = "python3-feedparser"

MISSING_PREREQUISITE = 2

# The published figures are for Debian's feedparser 6.0.10; searching its
# directory first keeps another installed copy from changing them.
sys.path.insert(0, "/usr/lib/python3/dist-packages")


def require(cli, gofeed_paths):
    """Exits with MISSING_PREREQUISITE unless feedparser imports, every path
    in gofeed_paths exists and cli is an executable."""
    missing, packages = [], []
    if importlib.util.find_spec("feedparser") is None:
        missing.append("feedparser")
        packages.append(FEEDPARSER_PACKAGE)
    absent = [p for p in gofeed_paths if not os.path.exists(p)]
    if absent:
        missing += absent
        packages.append(GOFEED_PACKAGE)
    if packages:
        stop("missing %s; install with: apt-get install %s"
             % (", ".join(missing), " ".join(packages)))
    if not os.access(cli, os.X_OK):
        stop("no newsfeed CLI at %s; build it with scripts/build.sh release"
             " (or pass --cli PATH)" % cli)


def stop(message):
    print("conformance: " + message, file=sys.stderr)
    sys.exit(MISSING_PREREQUISITE)
