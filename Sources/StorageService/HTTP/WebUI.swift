import HTTPTypes
import Hummingbird

/// The one-page web UI: the page, its script and its style, each served from this binary
/// (no external scripts, fonts or styles) so it works offline. Every key and value reaches
/// the page through textContent, never as HTML. The script and style are files of their
/// own so the policy can forbid every inline script: markup that ever slipped into the
/// page could not run.
enum WebUI {
    /// Only this origin's own script, style and API; no framing (clickjacking), no <base>
    /// or form target elsewhere.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'none'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static func register(on router: Router<ServiceRequestContext>) {
        router.get("/web") { _, _ in response(page, type: "text/html; charset=utf-8") }
        router.get("/web/app.js") { _, _ in response(script, type: "text/javascript; charset=utf-8") }
        router.get("/web/app.css") { _, _ in response(style, type: "text/css; charset=utf-8") }
    }

    static func response(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type,
                .contentSecurityPolicy: contentSecurityPolicy,
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>storage-service</title>
        <link rel="stylesheet" href="/web/app.css">
        </head>
        <body>
        <h1>storage-service</h1>
        <p class="sub">Keys and values stored in etcd.</p>
        <form id="add">
          <input name="key" placeholder="key (up to 256 bytes)" required autocomplete="off">
          <input name="value" placeholder="value" autocomplete="off">
          <button type="submit">Store</button>
        </form>
        <div id="status" role="status"></div>
        <table>
          <thead><tr><th>Key</th><th>Value</th><th>Modified</th><th></th></tr></thead>
          <tbody id="rows"></tbody>
        </table>
        <p id="empty" hidden>No keys stored yet.</p>
        <script src="/web/app.js"></script>
        </body>
        </html>
        """#

    static let style = #"""
          body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d232a; }
          h1 { font-size: 1.4rem; margin-bottom: .2rem; }
          p.sub { color: #5b6570; margin-top: 0; }
          form { display: flex; gap: .5rem; margin: 1rem 0; flex-wrap: wrap; }
          input { font: inherit; padding: .35rem .5rem; border: 1px solid #b8c0c8; border-radius: 4px; }
          input[name=key] { flex: 1 1 10rem; } input[name=value] { flex: 3 1 20rem; }
          button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid #2f6fb0; background: #2f6fb0; color: #fff; cursor: pointer; }
          button.remove { background: #fff; color: #a3312b; border-color: #a3312b; padding: .15rem .6rem; }
          table { border-collapse: collapse; width: 100%; }
          th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e2e6ea; vertical-align: top; }
          th { font-size: .8rem; text-transform: uppercase; color: #5b6570; }
          td.key { font-family: ui-monospace, monospace; white-space: nowrap; }
          td.value { white-space: pre-wrap; word-break: break-word; }
          td.rev { color: #5b6570; font-variant-numeric: tabular-nums; }
          td.omitted { color: #5b6570; font-style: italic; }
          #status { min-height: 1.4rem; }
          #status.error { color: #a3312b; font-weight: 600; }
          #empty { color: #5b6570; }
        """#

    static let script = #"""
        "use strict";
        const rows = document.getElementById("rows");
        const statusLine = document.getElementById("status");

        function show(message, isError) {
          statusLine.textContent = message;
          statusLine.className = isError ? "error" : "";
        }

        async function call(method, path, body) {
          const options = { method, headers: {} };
          if (body !== undefined) {
            options.headers["Content-Type"] = "application/json";
            options.body = JSON.stringify(body);
          }
          let response;
          try {
            response = await fetch(path, options);
          } catch (e) {
            throw new Error("the service did not answer");
          }
          const text = await response.text();
          let data = null;
          try { data = JSON.parse(text); } catch (e) { /* not JSON */ }
          if (!response.ok) {
            const reason = data && (data.error || data.message) ? (data.error || data.message) : text;
            throw new Error(response.status + ": " + reason);
          }
          return data;
        }

        // Control characters (ESC, BEL, CR …) would be invisible; show them as \xNN.
        // Direction overrides and isolates (a key "invoice\u202efdp.exe" would read
        // "invoiceexe.pdf") and zero-width characters (two keys that look the same) are
        // shown as \uNNNN. Tab and newline stay, the value cell keeps line breaks.
        const hidden = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;
        function visible(text) {
          return text.replace(hidden, (c) => {
            const code = c.charCodeAt(0);
            return code <= 0x9F ? "\\x" + code.toString(16).padStart(2, "0") : "\\u" + code.toString(16).padStart(4, "0");
          });
        }

        function cell(text, className) {
          const td = document.createElement("td");
          td.className = className;
          td.textContent = visible(text);
          return td;
        }

        async function refresh() {
          const data = await call("GET", "/storage");
          const nodes = (data.node && data.node.nodes) || [];
          rows.replaceChildren();
          for (const node of nodes) {
            const key = node.key.replace(/^\//, "");
            const tr = document.createElement("tr");
            tr.dataset.key = key;
            // A listing carries at most 64 MiB of values; keys past that come without one.
            const value = node.value === undefined
              ? cell("(not in the listing: GET /storage/" + encodeURIComponent(key) + ")", "value omitted")
              : cell(node.value, "value");
            tr.append(cell(key, "key"), value, cell(String(node.modifiedIndex), "rev"));
            const td = document.createElement("td");
            const button = document.createElement("button");
            button.className = "remove";
            button.type = "button";
            button.textContent = "Remove";
            button.addEventListener("click", () => remove(key));
            td.append(button);
            tr.append(td);
            rows.append(tr);
          }
          document.getElementById("empty").hidden = nodes.length > 0;
        }

        async function remove(key) {
          try {
            await call("DELETE", "/storage/" + encodeURIComponent(key));
            show("Removed " + visible(key) + ".", false);
            await refresh();
          } catch (e) {
            show("Could not remove " + visible(key) + ": " + e.message, true);
            // Someone else may have removed it already: show what is stored now.
            refresh().catch(() => {});
          }
        }

        document.getElementById("add").addEventListener("submit", async (event) => {
          event.preventDefault();
          const form = event.target;
          const key = form.key.value;
          try {
            await call("PUT", "/storage", { key, value: form.value.value });
            show("Stored " + visible(key) + ".", false);
            form.reset();
            await refresh();
          } catch (e) {
            show("Could not store " + visible(key) + ": " + e.message, true);
          }
        });

        refresh().catch((e) => show("Could not load keys: " + e.message, true));
        """#
}
