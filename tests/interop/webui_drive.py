#!/usr/bin/python3
"""Drive Transmission's web interface, served by btd's rpcd, in a real
headless Chromium over the DevTools protocol (python3-websocket).

The browser is started and stopped by the caller (t_webui.sh), which
gives its DevTools port.  This script opens a page with the basic-auth
credentials as an extra header on every request, loads the web
interface, waits for the torrent list, reads it from the DOM, adds a
magnet and then a .torrent file through the page's own add dialog,
opens the inspector of the first torrent on its peers, takes a
screenshot, and removes the magnet's torrent with the page's remove.

After each change made through the page, the step's line also holds
what `btctl list --json` says at that moment (--btctl).  Every wait is
bounded.  Output: one line of JSON per step, for the
shell to check:
  {"step": "rows", "rows": [{"name": ..., "progress": ..., ...}]}
  {"step": "added", "rows": [...]}
  {"step": "uploaded", "rows": [...]}
  {"step": "inspector", "info": {...}, "peers": [header, row...]}
  {"step": "screenshot", "path": ..., "bytes": N}
  {"step": "removed", "rows": [...]}
  {"step": "errors", "http": [...], "rpc": [[method, result]...],
   "exceptions": [...], "dialog": "..."}
Exit status 0 when every step ran; 1 with {"step": "fail", ...}.
"""
import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.request

import websocket


class Fail(Exception):
    pass


class Page:
    """One DevTools session on a page target; events kept in order."""

    def __init__(self, ws_url, timeout):
        # No Origin header: Chromium 111 and later refuse a DevTools
        # socket from an origin not named by --remote-allow-origins.
        self.ws = websocket.create_connection(ws_url, timeout=timeout,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def close(self):
        self.ws.close()

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Fail("devtools: no answer in time")
        self.ws.settimeout(left)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise Fail("devtools: no answer in time")

    def call(self, method, timeout=20, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method,
                                 "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            m = self._recv(deadline)
            if m.get("id") == mid:
                if "error" in m:
                    raise Fail("devtools: %s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def pump(self, seconds):
        """Collect events for up to seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.ws.settimeout(max(0.05, deadline - time.monotonic()))
                m = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in m:
                self.events.append(m)

    def js(self, expr, timeout=20):
        r = self.call("Runtime.evaluate", timeout=timeout, expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise Fail("js: %s: %s" % (expr[:60], r["exceptionDetails"]))
        return r.get("result", {}).get("value")


ROWS_JS = """
Array.from(document.querySelectorAll('#torrent_list li.torrent')).map(
  function (li) {
    function t(c) {
      var e = li.querySelector('.' + c);
      return e ? e.textContent : null;
    }
    var bar = li.querySelector('.torrent_progress_bar.complete');
    return { name: t('torrent_name'), progress: t('torrent_progress_details'),
             peers: t('torrent_peer_details'),
             bar: bar ? bar.style.width : null };
  })
"""


def wait_js(page, expr, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v = page.js(expr)
        if v:
            return v
        page.pump(0.25)
    raise Fail("timed out after %d s waiting for %s" % (seconds, what))


def new_target(port, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            req = urllib.request.Request(
                "http://127.0.0.1:%d/json/new?about:blank" % port,
                method="PUT")
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.load(r)["webSocketDebuggerUrl"]
        except Exception as e:  # not up yet
            last = e
            time.sleep(0.2)
    raise Fail("devtools on port %d did not answer: %s" % (port, last))


def btctl_list(cmd):
    """What `btctl list --json` says now: [[id, name]...]."""
    r = subprocess.run(cmd + ["list", "--json"], capture_output=True,
                       timeout=20, check=True)
    return [[t["id"], t["name"]] for t in json.loads(r.stdout)["torrents"]]


def out(**kv):
    print(json.dumps(kv), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devtools", type=int, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--auth", required=True, help="user:password")
    ap.add_argument("--expect", required=True, help="a torrent's name")
    ap.add_argument("--add", required=True, help="a magnet link to add")
    ap.add_argument("--add-name", required=True)
    ap.add_argument("--upload", required=True, help="a .torrent to upload")
    ap.add_argument("--upload-name", required=True)
    ap.add_argument("--shot", required=True)
    ap.add_argument("--btctl", required=True, help="btctl -s SOCK, as one "
                    "argument, blank-separated")
    ap.add_argument("--timeout", type=int, default=60)
    a = ap.parse_args()

    page = Page(new_target(a.devtools, a.timeout), 20)
    try:
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Network.enable")
        auth = base64.b64encode(a.auth.encode()).decode()
        page.call("Network.setExtraHTTPHeaders",
                  headers={"Authorization": "Basic " + auth})
        page.call("Emulation.setDeviceMetricsOverride", width=1100,
                  height=700, deviceScaleFactor=1, mobile=False)
        page.call("Page.navigate", url=a.url)
        wait_js(page, "document.readyState === 'complete' && "
                "typeof transmission !== 'undefined'", a.timeout,
                "the page to load")
        rows = wait_js(page, "(function () { var r = %s; return r.some("
                       "function (x) { return x.name === %s && x.progress; })"
                       " ? r : null; })()" % (ROWS_JS, json.dumps(a.expect)),
                       a.timeout, "the torrent %s in the list" % a.expect)
        out(step="rows", rows=rows,
            location=page.js("location.href"),
            title=page.js("document.title"))

        # The page's own add dialog: Open, a URL, Upload.
        page.js("$('#toolbar-open').click(); true")
        wait_js(page, "$('#upload_container').is(':visible')", 10,
                "the add dialog")
        page.js("$('#torrent_upload_url').val(%s); "
                "$('#upload_confirm_button').click(); true" %
                json.dumps(a.add))
        rows = wait_js(page, "(function () { var r = %s; return r.some("
                       "function (x) { return x.name === %s; }) ? r : null;"
                       " })()" % (ROWS_JS, json.dumps(a.add_name)),
                       a.timeout, "the added torrent in the list")
        out(step="added", rows=rows, btctl=btctl_list(a.btctl.split()))

        # The same dialog with a .torrent file: the page reads it and
        # sends it as metainfo.
        page.js("$('#toolbar-open').click(); true")
        wait_js(page, "$('#upload_container').is(':visible')", 10,
                "the add dialog, again")
        root = page.call("DOM.getDocument")["root"]["nodeId"]
        node = page.call("DOM.querySelector", nodeId=root,
                         selector="#torrent_upload_file")["nodeId"]
        if not node:
            raise Fail("no file input in the add dialog")
        page.call("DOM.setFileInputFiles", nodeId=node, files=[a.upload])
        page.js("$('#upload_confirm_button').click(); true")
        rows = wait_js(page, "(function () { var r = %s; return r.some("
                       "function (x) { return x.name === %s; }) ? r : null;"
                       " })()" % (ROWS_JS, json.dumps(a.upload_name)),
                       a.timeout, "the uploaded torrent in the list")
        out(step="uploaded", rows=rows, btctl=btctl_list(a.btctl.split()))

        # The inspector of the torrent expected: its info, then its
        # peers.
        page.js("$('#torrent_list li.torrent').filter(function () { "
                "return $(this).find('.torrent_name').text() === %s; })"
                ".click(); $('#toolbar-inspector').click(); true" %
                json.dumps(a.expect))
        info = wait_js(page, "/^[0-9a-f]{40}$/.test($('#inspector-info-hash')"
                       ".text()) ? { hash: $('#inspector-info-hash').text(),"
                       " location: $('#inspector-info-location').text(),"
                       " have: $('#inspector-info-have').text(),"
                       " availability: $('#inspector-info-availability')"
                       ".text(), size: $('#inspector-info-size').text() }"
                       " : null", a.timeout, "the inspector's info")
        page.js("$('#inspector-tab-peers').click(); true")
        peers = wait_js(page, "(function () { var r = $('#inspector_peers_"
                        "list tr.inspector_peer_entry').map(function () { "
                        "return $(this).text(); }).get(); return r.length > 1"
                        " ? r : null; })()", a.timeout,
                        "the inspector's peers")
        out(step="inspector", info=info, peers=peers)

        page.pump(1.0)
        shot = page.call("Page.captureScreenshot", timeout=30,
                         format="png")
        data = base64.b64decode(shot["data"])
        with open(a.shot, "wb") as f:
            f.write(data)
        out(step="screenshot", path=a.shot, bytes=len(data))

        # Remove the magnet's torrent with the page's own remove and its
        # confirmation: it leaves the list (torrent-get's "removed").
        page.js("$('#torrent_list li.torrent').filter(function () { "
                "return $(this).find('.torrent_name').text() === %s; })"
                ".click(); $('#toolbar-remove').click(); true" %
                json.dumps(a.add_name))
        wait_js(page, "$('#dialog_container').is(':visible')", 10,
                "the remove confirmation")
        page.js("$('#dialog_confirm_button').click(); true")
        rows = wait_js(page, "(function () { var r = %s; return r.some("
                       "function (x) { return x.name === %s; }) ? null : r;"
                       " })()" % (ROWS_JS, json.dumps(a.add_name)),
                       a.timeout, "the removed torrent to leave the list")
        out(step="removed", rows=rows, btctl=btctl_list(a.btctl.split()))

        # What went wrong along the way, from the events seen.
        page.pump(0.5)
        http, rpc, exc, rpcids, sent = [], [], [], [], {}
        for e in page.events:
            p = e.get("params", {})
            if e["method"] == "Network.requestWillBeSent":
                try:
                    sent[p["requestId"]] = json.loads(
                        p["request"].get("postData", ""))["method"]
                except (ValueError, KeyError, TypeError):
                    pass
            elif e["method"] == "Network.responseReceived":
                r = p["response"]
                if r["url"].endswith("/transmission/rpc"):
                    if r["status"] == 200:
                        rpcids.append(p["requestId"])
                    elif r["status"] != 409:
                        http.append([r["status"], r["url"]])
                elif r["status"] >= 400:
                    http.append([r["status"], r["url"]])
            elif e["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                exc.append(d.get("exception", {}).get("description") or
                           d.get("text"))
        for rid in rpcids:
            try:
                body = page.call("Network.getResponseBody",
                                 requestId=rid)["body"]
                res = json.loads(body).get("result")
            except Fail:
                continue  # evicted from the browser's buffer
            rpc.append([sent.get(rid, "?"), res])
        dialog = page.js("$('#dialog_container').is(':visible') ? "
                         "$('#dialog_container').text() : ''")
        out(step="errors", http=http, rpc=rpc, exceptions=exc,
            dialog=dialog.strip())
    except Fail as e:
        out(step="fail", why=str(e))
        return 1
    finally:
        page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
