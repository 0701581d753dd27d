// Drives Recur's official server SDK (npm "recur-tw") against a Recur base URL.
// Usage: node official_sdk.cjs BASE_URL SECRET_KEY EMAIL RETURN_URL ; prints one JSON object.
const { Recur, RecurAPIError } = require("recur-tw/server");

async function main() {
  const [baseUrl, secretKey, email, returnUrl] = process.argv.slice(2);
  const recur = new Recur(secretKey, { baseUrl });
  const out = {};
  out.entitlements = await recur.entitlements.list({ customer: { email } });
  out.check = await recur.entitlements.check({ product: "pro-monthly", customer: { email } });
  out.checkOther = await recur.entitlements.check({ product: "ebook", customer: { email } });
  const portal = await recur.portal.sessions.create({ email, returnUrl, locale: "zh-TW" });
  out.portal = { id: portal.id, url: portal.url, status: portal.status };
  try {
    await recur.portal.sessions.create({ email: "nobody@example.com", returnUrl });
    out.unknownCustomer = null;
  } catch (err) {
    out.unknownCustomer = err instanceof RecurAPIError
      ? { statusCode: err.statusCode, code: err.code }
      : { error: String(err) };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
