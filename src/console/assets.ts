// The console's page and its two assets, embedded in the executable: build.ts bundles src/console/app/ for the
// browser into src/console/gen/ before the executable is built (text imports are inlined by `bun build --compile`).
import appJs from "./gen/app.js.txt" with { type: "text" };
import styleCss from "./gen/style.css.txt" with { type: "text" };

export const ASSETS: Record<string, { type: string; body: string }> = {
  "app.js": { type: "text/javascript; charset=utf-8", body: appJs },
  "style.css": { type: "text/css; charset=utf-8", body: styleCss },
};

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Galaxy</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/style.css">
</head>
<body>
<div id="app">Loading…</div>
<script type="module" src="/ui/app.js"></script>
</body>
</html>
`;
