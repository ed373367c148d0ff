"""A Figma REST API stand-in for the fuzzing node: the reads of the node's Figma sync
(crates/integrations/src/clients/figma.rs), answered for one account built from the
project's own Figma fixtures.

The account holds the files the fixtures' webhook deliveries name (`fixtures/figma/`:
their `file_key`, `file_name` and times), in one team, `TEAM_ID`. The library
publication (`LIBRARY_PUBLISH`) says which components its file publishes: those it
created or modified, with its description, published by whoever triggered it. The node is pointed at this
server (`integrations.figma_api_url`) and connected with `TOKEN` (`seed.py`), so a
Figma sync reads the team's components, each file and its published components the
way it does from api.figma.com, and design components exist to fuzz.

| request                          | answer                                                        |
|----------------------------------|---------------------------------------------------------------|
| `GET /v1/files/{key}`            | `{name, role, lastModified, editorType, thumbnailUrl, version, document, components, componentSets, styles, schemaVersion}`, the tree `depth` levels deep |
| `GET /v1/files/{key}/components` | `{status, error, meta: {components: [PublishedComponent]}}`  |
| `GET /v1/files/{key}/component_sets` | `{status, error, meta: {component_sets: []}}` (the publication names no sets) |
| `GET /v1/files/{key}/nodes?ids=` | `{name, lastModified, version, nodes: {id: {document, components, componentSets, styles, schemaVersion} or null}}`: each published component as a `COMPONENT` node; an id the file does not hold maps to `null` |
| `GET /v1/teams/{id}/components`  | the same, a page (`page_size`, `after`) with `meta.cursor`     |

Without the token in `X-Figma-Token` (or `Authorization: Bearer`) the answer is Figma's
403; an unknown file or team, or any other path, is a 404 in the shape Figma gives it.

Usage: python3 figma.py <port file> <fixtures dir> [requests file]
Listens on a free loopback port and writes the port number to <port file> once it does;
each request is appended to <requests file>, when given, as a JSON line.
"""

import glob
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The personal access token the account answers to, and its team.
TOKEN = "stand-in-figma-token"
TEAM_ID = "1150391234567890123"
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 1000
PAGE_ID = "0:1"
PAGE_NAME = "Page 1"
# The frame the published components sit in.
COMPONENTS_FRAME = "1:1"


class Account:
    """The files, their nodes and the published components, from the fixtures."""

    def __init__(self, fixtures: str):
        self.files = {}
        self.components = []
        deliveries = []
        for path in sorted(glob.glob(os.path.join(fixtures, "figma", "*.json"))):
            with open(path, encoding="utf-8") as payload:
                try:
                    delivery = json.load(payload)
                except ValueError:
                    continue
            if isinstance(delivery, dict) and delivery.get("file_key"):
                deliveries.append(delivery)
        for delivery in deliveries:
            key = delivery["file_key"]
            file = self.files.setdefault(
                key, {"name": None, "last_modified": None, "nodes": [], "version": None}
            )
            file["name"] = file["name"] or delivery.get("file_name")
            stamp = delivery.get("timestamp") or delivery.get("created_at")
            if stamp and (file["last_modified"] is None or stamp > file["last_modified"]):
                file["last_modified"] = stamp
            if delivery.get("version_id"):
                file["version"] = str(delivery["version_id"])
            # A node a delivery names (Dev Mode's status) is a frame of the file.
            node = delivery.get("node_id")
            if node and node not in [frame["id"] for frame in file["nodes"]]:
                file["nodes"].append({"id": node, "name": delivery.get("change_message") or "Frame",
                                      "type": "FRAME"})
        for key, file in self.files.items():
            file["name"] = file["name"] or f"Untitled ({key})"
            file["last_modified"] = file["last_modified"] or "2020-01-01T00:00:00Z"
            file["version"] = file["version"] or "1"
        for delivery in deliveries:
            if delivery.get("event_type") != "LIBRARY_PUBLISH":
                continue
            key = delivery["file_key"]
            user = delivery.get("triggered_by") or {"id": "0", "handle": "Figma"}
            frame = {"nodeId": COMPONENTS_FRAME, "name": "Components", "pageId": PAGE_ID, "pageName": PAGE_NAME}
            for published in (*delivery.get("created_components", []), *delivery.get("modified_components", [])):
                node = f"1:{2 + sum(1 for c in self.components if c['file_key'] == key)}"
                self.components.append({
                    "key": published["key"],
                    "file_key": key,
                    "node_id": node,
                    "thumbnail_url": f"https://s3-alpha.figma.com/thumbnails/{published['key']}",
                    "name": published["name"],
                    "description": delivery.get("description", ""),
                    "created_at": delivery.get("timestamp", "2020-01-01T00:00:00Z"),
                    "updated_at": delivery.get("timestamp", "2020-01-01T00:00:00Z"),
                    "user": {"id": str(user.get("id", "0")), "handle": user.get("handle", "Figma"),
                             "img_url": "https://s3-alpha.figma.com/profile/avatar.png"},
                    "containing_frame": frame,
                })

    def file(self, key: str, depth):
        """The file's JSON, its node tree `depth` levels deep (all of it when None)."""
        file = self.files[key]
        published = [c for c in self.components if c["file_key"] == key]
        frames = [{**frame, "children": []} for frame in file["nodes"]]
        if published:
            frames.append({"id": COMPONENTS_FRAME, "name": "Components", "type": "FRAME", "children": [
                {"id": c["node_id"], "name": c["name"], "type": "COMPONENT", "children": []} for c in published
            ]})
        page = {"id": PAGE_ID, "name": PAGE_NAME, "type": "CANVAS", "children": frames,
                "backgroundColor": {"r": 1, "g": 1, "b": 1, "a": 1}}
        document = {"id": "0:0", "name": "Document", "type": "DOCUMENT", "children": [page]}
        return {
            "name": file["name"],
            "role": "owner",
            "lastModified": file["last_modified"],
            "editorType": "figma",
            "thumbnailUrl": f"https://s3-alpha.figma.com/thumbnails/{key}",
            "version": file["version"],
            "document": prune(document, depth),
            "components": {
                c["node_id"]: {"key": c["key"], "name": c["name"], "description": c["description"],
                               "remote": False, "documentationLinks": []}
                for c in published
            },
            "componentSets": {},
            "styles": {},
            "schemaVersion": 0,
        }


def nodes(account: "Account", key: str, ids: list) -> dict:
    """`GET /v1/files/{key}/nodes`: each asked-for published component as its node."""
    file = account.files[key]
    published = {c["node_id"]: c for c in account.components if c["file_key"] == key}
    found = {}
    for node in ids:
        component = published.get(node)
        found[node] = None if component is None else {
            "document": {"id": node, "name": component["name"], "type": "COMPONENT",
                         "description": component["description"], "children": []},
            "components": {}, "componentSets": {}, "styles": {}, "schemaVersion": 0,
        }
    return {"name": file["name"], "lastModified": file["last_modified"],
            "version": file["version"], "nodes": found}


def prune(node: dict, depth):
    """`node` with its descendants `depth` levels deep (pages are level 1)."""
    if depth is None or "children" not in node:
        return node
    if depth <= 0:
        return {name: value for name, value in node.items() if name != "children"}
    return {**node, "children": [prune(child, depth - 1) for child in node["children"]]}


class Handler(BaseHTTPRequestHandler):
    server_version = "figma-stand-in"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log = self.server.requests
        if log:
            with self.server.lock, open(log, "a", encoding="utf-8") as out:
                out.write(json.dumps({"method": self.command, "path": self.path, "status": status}) + "\n")

    def authorised(self) -> bool:
        token = self.headers.get("x-figma-token")
        bearer = self.headers.get("authorization", "")
        return token == TOKEN or bearer == f"Bearer {TOKEN}"

    def do_GET(self):  # noqa: N802 - the base class's name
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [urllib.parse.unquote(part) for part in url.path.strip("/").split("/")]
        if not self.authorised():
            return self.answer(403, {"status": 403, "err": "Invalid token"})
        account = self.server.account
        if len(parts) in (3, 4) and parts[:2] == ["v1", "files"] and parts[2] in account.files:
            key = parts[2]
            if len(parts) == 4 and parts[3] == "components":
                components = [c for c in account.components if c["file_key"] == key]
                return self.answer(200, {"status": 200, "error": False, "meta": {"components": components}})
            if len(parts) == 4 and parts[3] == "component_sets":
                return self.answer(200, {"status": 200, "error": False, "meta": {"component_sets": []}})
            if len(parts) == 4 and parts[3] == "nodes":
                ids = [node for node in query.get("ids", [""])[0].split(",") if node]
                if not ids:
                    return self.answer(400, {"status": 400, "err": "ids is required"})
                return self.answer(200, nodes(account, key, ids))
            if len(parts) == 3:
                depth = query.get("depth", [None])[0]
                if depth is not None:
                    try:
                        depth = int(depth)
                    except ValueError:
                        depth = 0
                    if depth < 1:
                        return self.answer(400, {"status": 400, "err": "depth must be a positive integer"})
                return self.answer(200, account.file(key, depth))
        if len(parts) == 4 and parts[:2] == ["v1", "teams"] and parts[3] == "components":
            if parts[2] != TEAM_ID:
                return self.answer(404, {"status": 404, "error": True, "message": "Not found"})
            try:
                size = min(max(int(query.get("page_size", [DEFAULT_PAGE_SIZE])[0]), 1), MAX_PAGE_SIZE)
                after = max(int(query.get("after", [0])[0]), 0)
            except ValueError:
                return self.answer(400, {"status": 400, "err": "page_size and after are numbers"})
            page = account.components[after:after + size]
            cursor = {"before": after} if after else {}
            if after + size < len(account.components):
                cursor["after"] = after + size
            return self.answer(200, {"status": 200, "error": False,
                                     "meta": {"components": page, "cursor": cursor}})
        if len(parts) == 4 and parts[:2] == ["v1", "files"] and parts[3] == "components":
            return self.answer(404, {"status": 404, "error": True, "message": "Not found"})
        return self.answer(404, {"status": 404, "err": "Not found"})


def main(port_file: str, fixtures: str, requests: str = "") -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.account = Account(fixtures)
    server.requests = requests
    server.lock = threading.Lock()
    if not server.account.components:
        sys.exit(f"no published components in {fixtures}/figma (a LIBRARY_PUBLISH delivery)")
    with open(port_file, "w", encoding="utf-8") as out:
        out.write(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
