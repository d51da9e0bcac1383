"""Static HTTP server of the sample feeds for the compose demo mode.

  demo-feeds-server.py [DIRECTORY [PORT]]   serve DIRECTORY (default /srv/feeds)
                                            on 0.0.0.0:PORT (default 8080)
  demo-feeds-server.py --check [PORT]       healthcheck: exit 0 when
                                            http://127.0.0.1:PORT/ answers

The server exits 0 on SIGTERM, which a process that is PID 1 in a container
must handle itself (the default action is ignored there). The healthcheck is
a mode of this script because podman's Docker API splits healthcheck
arguments at spaces, so `python3 -c "..."` cannot be used there.
"""
import functools
import http.server
import signal
import sys
import urllib.request


def check(port):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3).read()
    except OSError as e:
        print(f"demo-feeds: {e}")
        return 1
    return 0


def serve(directory, port):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", port), handler)
    print(f"demo-feeds: serving {directory} on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        sys.exit(check(int(sys.argv[2]) if len(sys.argv) > 2 else 8080))
    serve(sys.argv[1] if len(sys.argv) > 1 else "/srv/feeds",
          int(sys.argv[2]) if len(sys.argv) > 2 else 8080)
