"""Static HTTP server of the sample feeds for the compose demo mode.

Serves DIRECTORY (default /srv/feeds) on 0.0.0.0:PORT (default 8080) and
exits 0 on SIGTERM, which a process that is PID 1 in a container must handle
itself (the default action is ignored there).
"""
import functools
import http.server
import signal
import sys

directory = sys.argv[1] if len(sys.argv) > 1 else "/srv/feeds"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
server = http.server.ThreadingHTTPServer(("0.0.0.0", port), handler)
print(f"demo-feeds: serving {directory} on port {port}", flush=True)
server.serve_forever()
