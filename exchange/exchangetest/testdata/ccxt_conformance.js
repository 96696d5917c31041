// Runs ccxt against the fake exchanges described in the JSON file named by
// argv[3] and prints, as one JSON object, what each call returned or threw
// and the HTTP answer ccxt received. The Go test (ccxt_test.go) starts the
// fakes, writes the file and judges the output; this script only drives ccxt
// the way a bot would, changing nothing in how ccxt signs.
//
// usage: node ccxt_conformance.js <ccxt install prefix> <config.json>
'use strict'

const fs = require('fs')
const path = require('path')

// ccxt as a bot would load it: the package's CommonJS entry, found by name
// from the install prefix.
const ccxt = require(require.resolve('ccxt', { paths: [path.resolve(process.argv[2])] }))
const config = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'))

// pointAt sends every API group of ex to base instead of the exchange's host,
// keeping each URL's path (Binance's /sapi/v1, for example).
function pointAt (api, base) {
    for (const key of Object.keys(api)) {
        if (typeof api[key] === 'string') {
            api[key] = api[key].replace(/^https?:\/\/[^/]+/, base)
        } else if (api[key] !== null && typeof api[key] === 'object') {
            pointAt(api[key], base)
        }
    }
}

function client (c, creds, clockShiftMs) {
    const ex = new ccxt[c.id]({
        apiKey: creds.apiKey,
        secret: creds.secret,
        password: creds.password,
        enableRateLimit: false,
        timeout: 10000,
    })
    pointAt(ex.urls.api, c.url)
    if (clockShiftMs) {
        // A host clock behind the exchange's: every timestamp, nonce and JWT
        // time ccxt makes comes from these two.
        ex.milliseconds = () => Date.now() + clockShiftMs
        ex.seconds = () => Math.floor((Date.now() + clockShiftMs) / 1000)
    }
    // Observe the HTTP answer of each call; ccxt's own handling runs unchanged.
    const handleErrors = ex.handleErrors.bind(ex)
    ex.handleErrors = function (status, reason, url, method, headers, body, ...rest) {
        // X-Fake-Reason: why a fake refused, for the test's failure message.
        const why = headers && (headers['x-fake-reason'] || headers['X-Fake-Reason'])
        ex.lastAnswer = { status, body, reason: why }
        return handleErrors(status, reason, url, method, headers, body, ...rest)
    }
    return ex
}

async function call (ex, method, params) {
    ex.lastAnswer = undefined
    const out = { sent: Date.now() }
    try {
        out.value = await ex[method](params || {})
        out.ok = true
    } catch (e) {
        out.ok = false
        out.error = { name: e.constructor.name, message: String(e.message) }
    }
    out.at = Date.now()
    out.http = ex.lastAnswer
    return out
}

async function run (c) {
    const good = client(c, c.good)
    const results = {}
    results.keyInfo = await call(good, c.keyInfo)
    for (const [i, t] of c.time.entries()) {
        results['time' + i] = await call(good, 'fetchTime', t)
    }
    results.wrongSecret = await call(client(c, c.wrongSecret), c.keyInfo)
    results.staleTimestamp = await call(client(c, c.good, -c.staleMs), c.keyInfo)
    return results
}

(async () => {
    const out = { ccxtVersion: ccxt.version, exchanges: {} }
    const runs = await Promise.all(config.map(run))
    config.forEach((c, i) => { out.exchanges[c.name] = runs[i] })
    process.stdout.write(JSON.stringify(out) + '\n')
})().catch((e) => {
    process.stderr.write(String(e && e.stack) + '\n')
    process.exit(1)
})
