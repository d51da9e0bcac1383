#!/usr/bin/python3
"""Example Python client of newsfeed's query-service.

  newsfeed_client.py health
  newsfeed_client.py search --company Microsoft --country FR --topic ai --text "data centre"
  newsfeed_client.py subscribe --country FR --position-file fr.pos --max 10

Debian 12 packages (Debian's /usr/bin/python3, hence the #! line):
  apt-get install python3-grpcio python3-grpc-tools python3-protobuf

The gRPC stubs are generated from the repository's proto/ folder with
`python3 -m grpc_tools.protoc` on first use (and again when a .proto changes)
into .generated/ next to this file; nothing generated is committed.

Server address: --addr or NEWSFEED_QUERY_ADDR (default 127.0.0.1:50051).
Bearer token: --token or NEWSFEED_TOKEN. TLS: --tls-ca CA.pem.
Exit codes: 0 ok, 1 an RPC failed, 2 usage error.
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO_DIR = Path(os.environ.get("NEWSFEED_PROTO_DIR", HERE.parent.parent / "proto"))
GENERATED_DIR = HERE / ".generated"

try:
    import grpc
except ImportError:
    sys.exit("newsfeed_client: needs python3-grpcio, python3-grpc-tools and python3-protobuf "
             "(apt-get install ...) and Debian's /usr/bin/python3")


def load_stubs():
    """Generates the Python stubs from proto/ when missing or stale; imports them."""
    protos = sorted((PROTO_DIR / "newsfeed" / "v1").glob("*.proto"))
    health = PROTO_DIR / "grpc" / "health" / "v1" / "health.proto"
    if not protos or not health.exists():
        sys.exit(f"newsfeed_client: no .proto files under {PROTO_DIR} (set NEWSFEED_PROTO_DIR)")
    stamp = GENERATED_DIR / ".stamp"
    newest = max(p.stat().st_mtime for p in protos + [health])
    if not stamp.exists() or stamp.stat().st_mtime < newest:
        GENERATED_DIR.mkdir(exist_ok=True)
        protoc = [sys.executable, "-m", "grpc_tools.protoc",
                  f"--python_out={GENERATED_DIR}", f"--grpc_python_out={GENERATED_DIR}"]
        # newsfeed/v1/*.proto keep their package path (imports between them use it).
        subprocess.run(protoc + [f"-I{PROTO_DIR}"] + [str(p) for p in protos], check=True)
        # health.proto is generated at the top level: a generated "grpc" package
        # would hide the grpc library itself.
        subprocess.run(protoc + [f"-I{health.parent}", str(health)], check=True)
        stamp.touch()
    sys.path.insert(0, str(GENERATED_DIR))
    global query_pb2, query_pb2_grpc, health_pb2, health_pb2_grpc
    from newsfeed.v1 import query_pb2, query_pb2_grpc
    import health_pb2, health_pb2_grpc


# ---------------------------------------------------------------- connection

class Client:
    """One channel to query-service plus the metadata and deadline of every call."""

    def __init__(self, args):
        self.addr = args.addr
        if args.tls_ca:
            with open(args.tls_ca, "rb") as f:
                self.channel = grpc.secure_channel(
                    args.addr, grpc.ssl_channel_credentials(root_certificates=f.read()))
        else:
            self.channel = grpc.insecure_channel(args.addr)
        self.metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
        self.timeout = args.timeout
        self.query = query_pb2_grpc.QueryServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)


def explain(err, addr):
    """One readable line for a failed RPC: the status code name and the server's words."""
    code = err.code()
    text = f"{code.name}: {err.details()}"
    if code == grpc.StatusCode.UNAVAILABLE:
        text += f" (is query-service running at {addr}?)"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        text += " (pass --token or set NEWSFEED_TOKEN)"
    elif code == grpc.StatusCode.OUT_OF_RANGE:
        text += " (the saved position was removed by retention; resume from the position above)"
    return text


# ---------------------------------------------------------------- formatting

def split_values(values):
    """--country FR,DE --country US -> ["FR", "DE", "US"]."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def build_filter(args):
    f = query_pb2.ArticleFilter(text=args.text or "")
    f.companies.any_of.extend(split_values(args.company))
    f.countries.any_of.extend(split_values(args.country))
    f.topics.any_of.extend(split_values(args.topic))
    return f


def published(article):
    ts = article.published_time if article.HasField("published_time") else article.fetched_time
    return datetime.datetime.fromtimestamp(ts.seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def tags(article):
    return {
        "companies": ",".join(c.name for c in article.companies),
        "countries": ",".join(c.code for c in article.countries),
        "topics": ",".join(t.id for t in article.topics),
        "amounts": ",".join(a.text for a in article.amounts),
    }


def shorten(text, width):
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(articles):
    rows = [["SEQ", "PUBLISHED", "TITLE", "COMPANIES", "COUNTRIES", "TOPICS"]]
    for a in articles:
        t = tags(a)
        rows.append([str(a.sequence), published(a), shorten(a.title, 70),
                     t["companies"], t["countries"], t["topics"]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


# ---------------------------------------------------------------- commands

def cmd_health(client, args):
    reply = client.health.Check(health_pb2.HealthCheckRequest(service=args.service),
                                timeout=client.timeout, metadata=client.metadata)
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


def cmd_search(client, args):
    request = query_pb2.SearchRequest(filter=build_filter(args), page_size=args.limit)
    reply = client.query.Search(request, timeout=client.timeout, metadata=client.metadata)
    print_table(reply.articles)
    more = " (more: use a narrower filter or a larger --limit)" if reply.next_page_token else ""
    print(f"{len(reply.articles)} article(s){more}")
    return 0


def read_position(path):
    try:
        return int(Path(path).read_text().strip())
    except FileNotFoundError:
        return None


def save_position(path, sequence):
    """Atomically: a crash leaves the old position or the new one, never half a file."""
    tmp = Path(f"{path}.tmp")
    tmp.write_text(f"{sequence}\n")
    os.replace(tmp, path)


def cmd_subscribe(client, args):
    # Articles ready together arrive together (up to 100 per message) in
    # event.articles; without max_articles_per_response, one per event.article.
    request = query_pb2.SubscribeRequest(filter=build_filter(args), max_articles_per_response=100)
    start = read_position(args.position_file) if args.position_file else None
    if start is None:
        start = args.after
    if start is not None:
        request.after_sequence = start  # replay stored changes after it, then follow
    print(f"subscribing {'after sequence ' + str(start) if start is not None else 'from now'}",
          file=sys.stderr)

    stream = client.query.Subscribe(request, metadata=client.metadata)  # no deadline: lives on
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or SIGTERM: end the stream, exit 0
        signal.signal(sig, lambda *_: stream.cancel())
    received = 0
    try:
        for event in stream:
            kind = event.WhichOneof("event")
            if kind == "heartbeat":
                if args.verbose:
                    print(f"heartbeat: position {event.heartbeat.latest_sequence}", file=sys.stderr)
                if args.position_file:
                    save_position(args.position_file, event.heartbeat.latest_sequence)
                continue
            for a in [event.article] if kind == "article" else event.articles.articles:
                t = tags(a)
                print(f"seq={a.sequence}  {published(a)}  {a.title}")
                print("      " + ("  ".join(f"{k}: {v}" for k, v in t.items() if v) or "(no tags)"), flush=True)
                received += 1
                if args.position_file:  # saved after printing: at-least-once on resume
                    save_position(args.position_file, a.sequence)
                if args.max and received >= args.max:
                    break
            if args.max and received >= args.max:
                stream.cancel()
                break
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.CANCELLED:
            raise
    print(f"received {received} article(s)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- main

def parse_args(argv):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--addr", default=os.environ.get("NEWSFEED_QUERY_ADDR", "127.0.0.1:50051"),
                        help="query-service host:port (env NEWSFEED_QUERY_ADDR)")
    common.add_argument("--token", default=os.environ.get("NEWSFEED_TOKEN"),
                        help='send "authorization: Bearer TOKEN" (env NEWSFEED_TOKEN)')
    common.add_argument("--tls-ca", metavar="PEM", help="connect with TLS trusting this root CA")
    common.add_argument("--timeout", type=float, default=10.0, help="seconds per unary call")

    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--company", action="append", help="company name or id (repeat or comma-separate: any of)")
    filters.add_argument("--country", action="append", help="ISO 3166-1 alpha-2 code, e.g. FR")
    filters.add_argument("--topic", action="append", help="topic id, e.g. ai")
    filters.add_argument("--text", help='full-text query (SQLite FTS5: words ANDed, "phrases", OR, NOT)')

    parser = argparse.ArgumentParser(description="Example client of newsfeed's query-service.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("health", parents=[common], help="grpc.health.v1 check")
    p.add_argument("--service", default="", help='service name; "" is the whole server')
    p = sub.add_parser("search", parents=[common, filters], help="search articles, newest first")
    p.add_argument("--limit", type=int, default=20, help="page size (1..100)")
    p = sub.add_parser("subscribe", parents=[common, filters], help="follow matching articles live")
    p.add_argument("--after", type=int, metavar="SEQ",
                   help="replay stored changes after this sequence first (0: everything); default: from now")
    p.add_argument("--position-file", metavar="FILE",
                   help="resume from the sequence saved in FILE (overrides --after); rewritten after each event")
    p.add_argument("--max", type=int, default=0, help="stop after N articles")
    p.add_argument("--verbose", action="store_true", help="also print heartbeats (to stderr)")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    load_stubs()
    client = Client(args)
    command = {"health": cmd_health, "search": cmd_search, "subscribe": cmd_subscribe}[args.command]
    try:
        return command(client, args)
    except grpc.RpcError as err:
        print(f"newsfeed_client: {args.command} failed: {explain(err, args.addr)}", file=sys.stderr)
        return 1
    finally:
        client.channel.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
