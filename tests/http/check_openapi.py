#!/usr/bin/env python3
"""Checks query-service/http/openapi.yaml against a running query-service.

The document is only worth something while it says what the server does, so
this asks a real server: every route's list of accepted parameters (from the
400 an unknown one gets) must equal the parameters documented for it, and
real answers (searches, an article, facets, errors, the live stream) must
have a documented status and media type and validate against the documented
schema.

  check_openapi.py --spec query-service/http/openapi.yaml \
      --base-url http://127.0.0.1:8080 [--token TOKEN]

The server must hold at least 3 articles. Prints "PASS: openapi: ..." or
"FAIL: openapi: ...: why" per check and "openapi: N passed, M failed"; exits
1 on any failure. Needs only Debian's python3, python3-yaml and
python3-jsonschema (4.10 or later).
"""

import argparse
import datetime
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import partial

import jsonschema
import yaml

# A failure bound only: nothing here waits for time to pass.
TIMEOUT_S = 30
# A name no route takes, for the "unknown parameter" answer.
UNKNOWN_PARAM = "openapi_check_unknown"
# The schema of each event type's data on /v1/stream (the document says so
# in prose: a text/event-stream body has no JSON schema of its own).
EVENT_SCHEMAS = {"heartbeat": "Heartbeat", "article": "Article", "end": "HttpError"}
# Where the document sits in a jsonschema >= 4.18 registry.
DOCUMENT_URI = "urn:newsfeed:openapi"


class CheckFailed(Exception):
    pass


def require(condition, why):
    if not condition:
        raise CheckFailed(why)


# ---------------------------------------------------------------- spec

def resolve_pointer(spec, ref):
    require(ref.startswith("#/"), f"{ref}: only local references are expected")
    node = spec
    for part in ref[2:].split("/"):
        part = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
        require(isinstance(node, dict) and part in node, f"{ref} does not resolve")
        node = node[part]
    return node


def deref(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(spec, node["$ref"])
    return node


def all_refs(node):
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        yield node["$ref"]
    for child in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
        yield from all_refs(child)


def date_time_checker():
    """A format checker that also checks date-time: jsonschema only does
    with an optional package Debian does not install by default."""
    checker = jsonschema.FormatChecker()
    pattern = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})"
                         r"(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if not isinstance(value, str):
            return True
        match = pattern.fullmatch(value)
        if match is None:
            return False
        datetime.datetime(*(int(match.group(i)) for i in range(1, 7)))
        return True

    return checker


def load_spec(path):
    with open(path, encoding="utf-8") as f:
        return Spec(yaml.safe_load(f))


class Spec:
    def __init__(self, document):
        self.doc = document
        self.format_checker = date_time_checker()
        try:  # jsonschema >= 4.18 resolves through a registry
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012
            resource = Resource.from_contents(document, default_specification=DRAFT202012)
            self._extra = {"registry": Registry().with_resource(DOCUMENT_URI, resource)}
            # The schema validated is the root resource there, so its own
            # "#/..." would point into itself: point them at the document.
            self._base = DOCUMENT_URI
        except ImportError:  # Debian 12's 4.10
            self._extra = {"resolver": jsonschema.RefResolver.from_schema(document)}
            self._base = ""

    def _anchored(self, schema):
        if isinstance(schema, dict):
            return {k: self._base + v if k == "$ref" and v.startswith("#") else self._anchored(v)
                    for k, v in schema.items()}
        if isinstance(schema, list):
            return [self._anchored(v) for v in schema]
        return schema

    def validate(self, schema, instance):
        """Raises CheckFailed naming the first error; refs resolve against
        the whole document."""
        validator = jsonschema.Draft202012Validator(
            self._anchored(schema), format_checker=self.format_checker, **self._extra)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            raise CheckFailed(f"at {where}: {error.message[:300]}")

    def operation(self, template, method):
        operation = self.doc["paths"].get(template, {}).get(method.lower())
        require(operation is not None, f"{method} {template} is not documented")
        return operation

    def query_params(self, template, method):
        """The query parameter names documented for an operation, the
        apiKey-in-query security schemes (access_token) included."""
        path_item = self.doc["paths"][template]
        operation = self.operation(template, method)
        names = set()
        for param in path_item.get("parameters", []) + operation.get("parameters", []):
            param = deref(self.doc, param)
            if param["in"] == "query":
                names.add(param["name"])
        schemes = self.doc.get("components", {}).get("securitySchemes", {})
        for requirement in operation.get("security", self.doc.get("security", [])):
            for scheme_name in requirement:
                scheme = deref(self.doc, schemes[scheme_name])
                if scheme["type"] == "apiKey" and scheme["in"] == "query":
                    names.add(scheme["name"])
        return names

    def response(self, template, method, status):
        responses = self.operation(template, method)["responses"]
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return deref(self.doc, responses[key])
        raise CheckFailed(f"status {status} is not documented for {method} {template}")


def check_spec(spec, check):
    doc = spec.doc
    check("openapi version is 3.1.x",
          lambda: require(re.fullmatch(r"3\.1\.\d+", str(doc.get("openapi"))),
                          f"openapi is {doc.get('openapi')!r}"))

    def refs_resolve():
        refs = sorted(set(all_refs(doc)))
        require(refs, "no $ref at all")
        for ref in refs:
            resolve_pointer(doc, ref)
    check("every $ref resolves", refs_resolve)

    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        def valid_schema(schema=schema):
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.exceptions.SchemaError as e:
                raise CheckFailed(e.message)
        check(f"components/schemas/{name} is a valid 2020-12 schema", valid_schema)

    def examples_validate():
        responses = [(f"{method.upper()} {template} {status}", deref(doc, response))
                     for template, path_item in doc["paths"].items()
                     for method, operation in path_item.items() if method != "parameters"
                     for status, response in operation["responses"].items()]
        count = 0
        for where, response in responses:
            content = response.get("content", {}).get("application/json", {})
            examples = [e["value"] for e in content.get("examples", {}).values()]
            for example in examples + ([content["example"]] if "example" in content else []):
                try:
                    spec.validate(content["schema"], example)
                except CheckFailed as e:
                    raise CheckFailed(f"{where}: {e}")
                count += 1
        require(count > 0, "no JSON examples found")
    check("the JSON examples validate against their schemas", examples_validate)


# ---------------------------------------------------------------- HTTP

class Client:
    def __init__(self, base_url, token):
        self.base_url = base_url.rstrip("/")
        self.token = token

    def request(self, method, path, params=(), headers=None, stream=False):
        """(status, headers, body bytes), or the open response when
        `stream`; HTTP errors are answers here, not exceptions."""
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(list(params))
        request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
        except urllib.error.HTTPError as e:
            response = e
        if stream and response.status == 200:
            return response
        with response:
            return response.status, response.headers, response.read()


def media_type(headers):
    return (headers.get("Content-Type") or "").split(";")[0].strip().lower()


def check_answer(spec, template, method, status, headers, body, want_status):
    """The status is the expected one and documented, its required headers
    are there, the Content-Type is the documented media type and a JSON
    body validates against its schema. Returns the parsed body, if any."""
    snippet = body[:200].decode("utf-8", "replace")
    require(status == want_status, f"status {status}, expected {want_status}: {snippet}")
    response = spec.response(template, method, status)
    for name, header in response.get("headers", {}).items():
        require(not deref(spec.doc, header).get("required") or name in headers,
                f"no {name} header")
    documented = response.get("content", {})
    got = media_type(headers)
    if not documented:
        require(not body, f"a body ({got or 'no Content-Type'}) where none is documented")
        return None
    require(got in documented, f"Content-Type {got!r}, documented {sorted(documented)}")
    if method == "HEAD":
        require(not body, "HEAD answered with a body")
        return None
    try:
        parsed = json.loads(body)
    except ValueError as e:
        raise CheckFailed(f"body is not JSON ({e}): {snippet}")
    spec.validate(documented[got]["schema"], parsed)
    return parsed


def exchange(spec, client, template, method, path, params=(), want_status=200):
    status, headers, body = client.request(method, path, params)
    return check_answer(spec, template, method, status, headers, body, want_status)


def check_parameter_lists(spec, client, check, article_id):
    routes = [("/v1/articles", "/v1/articles"),
              ("/v1/articles/{id}", "/v1/articles/" + urllib.parse.quote(article_id, safe="")),
              ("/v1/facets", "/v1/facets"),
              ("/v1/stream", "/v1/stream")]
    for template, path in routes:
        def same_names(template=template, path=path):
            error = exchange(spec, client, template, "GET", path, [(UNKNOWN_PARAM, "1")], 400)
            message = error["error"]["message"]
            require(UNKNOWN_PARAM in message, f"message does not name the parameter: {message}")
            listed = re.search(r"this route takes (.+)$", message)
            if listed:
                served = set(listed.group(1).split(", "))
            else:
                # /v1/articles/{id} answers "takes none": it skips access_token
                # before looking, like every route, but leaves it out.
                require(re.search(r"takes none$", message), f"no parameter list in: {message}")
                served = {"access_token"}
            documented = spec.query_params(template, "GET")
            require(served == documented,
                    f"server takes but spec lacks {sorted(served - documented)}; "
                    f"spec documents but server refuses {sorted(documented - served)}")
        check(f"GET {template}: the parameters the server takes are the documented ones",
              same_names)


# ---------------------------------------------------------------- stream

def read_events(response):
    """Yields the stream's comment lines as ("comment", text) and its events
    as dicts of their fields."""
    fields = {}
    while True:
        line = response.readline()
        require(line, "the server closed the stream")
        line = line.decode("utf-8").rstrip("\r\n")
        if not line:
            if fields:
                yield fields
            fields = {}
        elif line.startswith(":"):
            yield {"comment": line[1:].strip()}
        else:
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


def check_stream(spec, client):
    response = client.request("GET", "/v1/stream", [("after_sequence", "0")], stream=True)
    if isinstance(response, tuple):  # not a stream: fails, saying why
        check_answer(spec, "/v1/stream", "GET", *response, 200)
    with response:
        documented = spec.response("/v1/stream", "GET", 200)["content"]
        require(media_type(response.headers) in documented,
                f"Content-Type {response.headers.get('Content-Type')!r}, documented {sorted(documented)}")
        events = read_events(response)
        first = next(events)
        require(first == {"comment": "newsfeed live stream"}, f"no preamble comment first: {first}")
        require(next(events) == {"retry": "2000"}, "no retry: 2000 after the preamble")
        seen = []
        articles = 0
        last_id = -1
        # Heartbeats keep each read within the socket timeout: bound the whole.
        deadline = time.monotonic() + TIMEOUT_S
        while articles < 3 or "heartbeat" not in seen:
            require(time.monotonic() < deadline,
                    f"{articles} articles in {TIMEOUT_S} s, expected 3 (events: {seen})")
            event = next(events)
            kind = event.get("event", "message")
            require(kind in EVENT_SCHEMAS, f"unexpected event {kind}: {event}")
            data = json.loads(event.get("data", ""))
            spec.validate({"$ref": f"#/components/schemas/{EVENT_SCHEMAS[kind]}"}, data)
            if kind == "end":
                raise CheckFailed(f"the server ended the stream: {data['error']['message']}")
            require(seen or kind == "heartbeat", f"first event is {kind}, not heartbeat")
            seen.append(kind)
            event_id = int(event.get("id", "-1"))
            require(event_id >= last_id, f"id {event_id} after {last_id}")
            if kind == "article":
                require(event_id > last_id, f"article id {event_id} after {last_id}")
                require(event_id == int(data["sequence"]),
                        f"article id {event_id}, sequence {data['sequence']}")
                articles += 1
            else:
                require(event_id == int(data.get("latestSequence", "0")),
                        f"heartbeat id {event_id}, latestSequence {data.get('latestSequence')}")
            last_id = event_id


# ---------------------------------------------------------------- main

def run_checks(spec, client, token, check):
    check_spec(spec, check)
    found = {}

    def search_all():
        body = exchange(spec, client, "/v1/articles", "GET", "/v1/articles")
        require(body.get("articles"), "no articles: the server must hold some")
        found["id"] = body["articles"][0]["id"]
    check("GET /v1/articles returns articles", search_all)

    def search_paged():
        params = [("company", "Microsoft"), ("page_size", "2")]
        body = exchange(spec, client, "/v1/articles", "GET", "/v1/articles", params)
        require(len(body.get("articles", [])) <= 2, "more than page_size articles")
        if body.get("nextPageToken"):
            params.append(("page_token", body["nextPageToken"]))
            exchange(spec, client, "/v1/articles", "GET", "/v1/articles", params)
    check("GET /v1/articles?company=Microsoft&page_size=2, then its next page", search_paged)

    def get_article():
        require("id" in found, "no article id (the search failed)")
        path = "/v1/articles/" + urllib.parse.quote(found["id"], safe="")
        body = exchange(spec, client, "/v1/articles/{id}", "GET", path)
        require(body["id"] == found["id"], f"asked for {found['id']}, got {body['id']}")
    check("GET /v1/articles/{id}", get_article)

    def facets_limited():
        body = exchange(spec, client, "/v1/facets", "GET", "/v1/facets",
                        [("topic", "ai"), ("limit", "3")])
        for dimension in ("companies", "countries", "topics"):
            require(len(body.get(dimension, [])) <= 3, f"more than 3 {dimension}")
    check("GET /v1/facets", partial(exchange, spec, client, "/v1/facets", "GET", "/v1/facets"))
    check("GET /v1/facets?topic=ai&limit=3", facets_limited)

    check_parameter_lists(spec, client, check, found.get("id", "x"))
    # Answers checked only against the document: (what, client, route,
    # method, path, params, status).
    anonymous = Client(client.base_url, None)
    for what, by, template, method, path, params, status in [
            ("400 for page_size=abc", client, "/v1/articles", "GET", "/v1/articles",
             [("page_size", "abc")], 400),
            ("404 for /v1/articles/does-not-exist", client, "/v1/articles/{id}", "GET",
             "/v1/articles/does-not-exist", [], 404),
            ("405 for POST /v1/articles", client, "/v1/articles", "POST", "/v1/articles",
             [], 405),
            ("HEAD /v1/articles", client, "/v1/articles", "HEAD", "/v1/articles", [], 200),
            ("OPTIONS /v1/articles (preflight)", client, "/v1/articles", "OPTIONS",
             "/v1/articles", [], 204),
    ] + ([("401 without the token", anonymous, "/v1/facets", "GET", "/v1/facets", [], 401)]
         if token else []):
        check(what, partial(exchange, spec, by, template, method, path, params, status))

    check("GET /v1/stream?after_sequence=0: a heartbeat, then 3 articles in sequence order",
          partial(check_stream, spec, client))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="the OpenAPI document (YAML)")
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", help="auth.read_token, when the server has one")
    args = parser.parse_args()

    counts = {"PASS": 0, "FAIL": 0}

    def check(what, run):
        try:
            run()
            problem = None
        except CheckFailed as e:
            problem = str(e)
        except Exception as e:  # a surprise is a failed check, not a crash
            problem = f"{type(e).__name__}: {str(e)[:300]}"
        counts["FAIL" if problem else "PASS"] += 1
        problem = problem and " ".join(problem.split())  # one line per check
        print(f"FAIL: openapi: {what}: {problem}" if problem else f"PASS: openapi: {what}")

    spec = []
    check(f"{args.spec} loads", lambda: spec.append(load_spec(args.spec)))
    if spec:
        run_checks(spec[0], Client(args.base_url, args.token), args.token, check)
    print(f"openapi: {counts['PASS']} passed, {counts['FAIL']} failed")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
