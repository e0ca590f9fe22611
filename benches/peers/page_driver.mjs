// Drives Debian's Chromium over the DevTools protocol (npm puppeteer-core, no browser
// download) for tests of the dashboard page. Commands come as JSON lines on stdin, answers
// go as JSON lines on stdout:
//   {"cmd":"open","url":…,"width":1280,"height":800}
//   {"cmd":"wait","attr":"state","equals":"connected"} | {"cmd":"wait","attr":"frames","above":10}
//   {"cmd":"dataset"}  {"cmd":"layout"}  {"cmd":"screenshot","path":…}  {"cmd":"errors"}  {"cmd":"quit"}
//   {"cmd":"figures"}: every element's data-key and data-value, and what the page's SVG draws
//   {"cmd":"tiles","count":3}: once the wall has that many tiles each with a peak, their datasets
import readline from "node:readline";
import puppeteer from "puppeteer-core";

const executablePath = process.argv[2] || "/usr/bin/chromium";
// Further Chromium flags, one an argument (a test's pinned certificate, say).
const extra = process.argv.slice(3);
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", ...extra],
});
let page = null;
const errors = [];
const answer = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const dataset = () => page.evaluate(() => ({ ...document.getElementById("dash").dataset }));

async function run(command) {
  switch (command.cmd) {
    case "open": {
      if (page) await page.close();
      page = await browser.newPage();
      page.on("pageerror", (e) => errors.push("page error: " + e.message));
      page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
      await page.setViewport({ width: command.width || 1280, height: command.height || 800 });
      // The analysis stream never ends: wait for the document, not for the network to idle.
      await page.goto(command.url, { waitUntil: "domcontentloaded" });
      return { ok: true };
    }
    case "wait": {
      const { attr, equals, above } = command;
      await page.waitForFunction(
        (attr, equals, above) => {
          const value = document.getElementById("dash").dataset[attr];
          return equals !== undefined ? value === equals : Number(value) > above;
        },
        { timeout: command.timeout_ms || 30000, polling: 100 },
        attr, equals, above,
      );
      return { ok: true, dataset: await dataset() };
    }
    case "dataset":
      return { ok: true, dataset: await dataset() };
    case "tiles": {
      const tiles = () => [...document.querySelectorAll(".tile")].map((t) => ({ ...t.dataset, href: t.href }));
      await page.waitForFunction(
        (count) => {
          const all = [...document.querySelectorAll(".tile")];
          return all.length >= count && all.every((t) => t.dataset.peakHz);
        },
        { timeout: command.timeout_ms || 30000, polling: 100 },
        command.count,
      );
      return { ok: true, tiles: await page.evaluate(tiles) };
    }
    case "layout":
      return {
        ok: true,
        layout: await page.evaluate(() => ({
          scroll_width: document.documentElement.scrollWidth,
          inner_width: window.innerWidth,
          state_text: document.getElementById("state")?.textContent ?? null,
        })),
      };
    case "figures":
      return {
        ok: true,
        figures: await page.evaluate(() =>
          [...document.querySelectorAll("[data-key]")].map((e) => ({
            key: e.dataset.key, value: e.dataset.value, text: e.textContent,
          }))),
        svg: await page.evaluate(() => {
          const svg = document.querySelector("svg");
          if (!svg) return null;
          const box = svg.getBoundingClientRect();
          const trace = svg.querySelector("polyline.spectrum");
          return {
            width: box.width, height: box.height,
            trace_points: trace ? trace.points.numberOfItems : 0,
            mask: !!svg.querySelector("polyline.mask"),
            marks: [...svg.querySelectorAll("text.mark")].map((t) => t.textContent.trim()),
          };
        }),
      };
    case "screenshot":
      await page.screenshot({ path: command.path, fullPage: true });
      return { ok: true };
    case "errors":
      return { ok: true, errors };
    case "quit":
      await browser.close();
      answer({ ok: true });
      process.exit(0);
  }
  return { ok: false, error: "unknown command " + command.cmd };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  try {
    answer(await run(JSON.parse(line)));
  } catch (e) {
    answer({ ok: false, error: String(e && e.message || e) });
  }
}
await browser.close();
