// Drives the sfsim org simulator with jsforce and prints one JSON object
// with what it saw; nodeclients_test.go asserts on it. Run from the install
// directory (so 'jsforce' resolves) as:
//   SIM_URL=http://127.0.0.1:PORT SIM_TOKEN=00D… node jsforce-check.mjs <scenario> [args…]
import jsforce from 'jsforce';

// With SIM_REFRESH_TOKEN, SIM_CLIENT_ID and SIM_CLIENT_SECRET the connection
// can refresh its access token through the org's token endpoint.
const conn = new jsforce.Connection({
  instanceUrl: process.env.SIM_URL,
  accessToken: process.env.SIM_TOKEN,
  ...(process.env.SIM_VERSION ? { version: process.env.SIM_VERSION } : {}),
  ...(process.env.SIM_REFRESH_TOKEN
    ? {
        refreshToken: process.env.SIM_REFRESH_TOKEN,
        oauth2: { clientId: process.env.SIM_CLIENT_ID, clientSecret: process.env.SIM_CLIENT_SECRET, loginUrl: process.env.SIM_URL },
      }
    : {}),
});
let refreshed = 0;
conn.on('refresh', () => { refreshed++; });
conn.bulk2.pollInterval = 200;
conn.bulk2.pollTimeout = 60000;

// queryAll runs a REST query, following nextRecordsUrl.
function queryAll(soql) {
  return new Promise((resolve, reject) => {
    const records = [];
    const q = conn.query(soql)
      .on('record', (r) => records.push(r))
      .on('end', () => resolve({ totalSize: q.totalSize, records }))
      .on('error', reject);
    q.run({ autoFetch: true, maxFetch: 1000000 });
  });
}

function streamRecords(stream) {
  return new Promise((resolve, reject) => {
    const records = [];
    stream.on('record', (r) => records.push(r));
    stream.on('end', () => resolve(records));
    stream.on('error', reject);
  });
}

const scenarios = {
  async query(soql) {
    const { totalSize, records } = await queryAll(soql);
    return {
      version: conn.version,
      totalSize,
      fetched: records.length,
      distinctIds: new Set(records.map((r) => r.Id)).size,
      first: records[0],
      last: records[records.length - 1],
    };
  },

  async describe(object) {
    const d = await conn.sobject(object).describe();
    const field = (n) => d.fields.find((f) => f.name === n);
    return {
      name: d.name,
      keyPrefix: d.keyPrefix,
      fieldCount: d.fields.length,
      lastName: field('LastName') && { type: field('LastName').type, nillable: field('LastName').nillable, createable: field('LastName').createable },
      accountId: field('AccountId') && { type: field('AccountId').type, referenceTo: field('AccountId').referenceTo, relationshipName: field('AccountId').relationshipName },
      leadSource: field('LeadSource') && field('LeadSource').picklistValues.map((p) => p.value),
    };
  },

  async create(accountId) {
    const results = await conn.sobject('Contact').create(
      [
        { FirstName: 'Js', LastName: 'Created1', AccountId: accountId },
        { FirstName: 'Js', LastName: 'Created2', Email: 'created2@example.com' },
        { FirstName: 'NoLastName' },
      ],
      { allOrNone: false },
    );
    return { results };
  },

  async bulkquery(soql) {
    const records = await streamRecords(await conn.bulk2.query(soql));
    return {
      fetched: records.length,
      distinctIds: new Set(records.map((r) => r.Id)).size,
      columns: Object.keys(records[0] || {}),
      first: records[0],
    };
  },

  async bulkingest() {
    const input = [];
    for (let i = 1; i <= 25; i++) {
      input.push({ FirstName: 'Bulk', LastName: i % 5 === 0 ? null : `Ingest${String(i).padStart(2, '0')}`, Email: `ingest${i}@example.com` });
    }
    const res = await conn.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'insert', input });
    return {
      successful: res.successfulResults.length,
      failed: res.failedResults.length,
      unprocessed: res.unprocessedRecords.length,
      successIds: res.successfulResults.map((r) => r.sf__Id),
      failedErrors: res.failedResults.map((r) => r.sf__Error),
    };
  },

  // refresh queries with an expired access token: jsforce must refresh it
  // once with the refresh token and retry.
  async refresh(soql) {
    const before = conn.accessToken;
    const res = await conn.query(soql);
    return { refreshed, totalSize: res.totalSize, tokenChanged: conn.accessToken !== before };
  },

  async badquery(soql) {
    try {
      await conn.query(soql);
      return { ok: true };
    } catch (e) {
      return { ok: false, errorCode: e.errorCode, name: e.name, message: e.message };
    }
  },
};

const [scenario, ...args] = process.argv.slice(2);
if (!scenarios[scenario]) {
  console.error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await scenarios[scenario](...args)));
} catch (e) {
  console.error(`${scenario} failed: ${e.name}: ${e.errorCode || ''} ${e.message}\n${e.stack}`);
  process.exit(1);
}
