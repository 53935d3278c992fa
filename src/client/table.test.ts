import { expect, test } from "bun:test";
import { columnWidths, followRow, renderTable } from "./table.ts";

test("events -f: rows after the first table keep its columns; a wider cell widens its column from then on", () => {
  const table = renderTable(["TIME", "POD", "KIND", "MESSAGE"], [["2026-12-06 10:00:00", "web.0", "placed", "on a:1"]], { width: 200 });
  const widths = columnWidths(table.split("\n")[0]!, 3);
  expect(widths).toEqual([19, 5, 6]);
  const next = followRow(widths, ["2026-12-06 10:00:01", "job", "update", "update accepted"]);
  expect(next.indexOf("update accepted")).toBe(table.split("\n")[1]!.indexOf("on a:1"));
  const wide = followRow(widths, ["2026-12-06 10:00:02", "web.10", "exit", "exited 3"]);
  expect(wide).toBe("2026-12-06 10:00:02  web.10  exit    exited 3");
  expect(widths).toEqual([19, 6, 6]);
});
