// Drives the emulator's Atlas API with the community npm client `mongodb-atlas-api-client`
// (installed by scripts/compat-npm.sh), as a third-party Digest client would: cluster life
// cycle, access list, snapshots, and a wrong key. The package has no auditing and no
// take-snapshot call, so those two go through Node's fetch with a small Digest implementation.
//
// usage: node tests/compat/atlas_client.mjs BASE_URL PUBLIC_KEY PRIVATE_KEY PROJECT_ID
//   BASE_URL like http://127.0.0.1:PORT/api/atlas/v2; ATLAS_NPM_MODULES may name the
//   node_modules directory (default .tools/npm-compat/node_modules).
// Exits 0 when every check passed, 1 with the first mismatch otherwise.

import { createHash, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const modules = process.env.ATLAS_NPM_MODULES || path.join(root, ".tools/npm-compat/node_modules");
const [base, publicKey, privateKey, projectId] = process.argv.slice(2);
if (!base || !publicKey || !privateKey || !projectId) {
  console.error("usage: atlas_client.mjs BASE_URL PUBLIC_KEY PRIVATE_KEY PROJECT_ID");
  process.exit(2);
}
const require = createRequire(path.join(modules, "noop.js"));
const getClient = require("mongodb-atlas-api-client");

let checks = 0;
function check(condition, what, got) {
  if (!condition) {
    throw new Error(`${what}: got ${JSON.stringify(got)}`);
  }
  checks += 1;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Per-call options: the versioned Accept header (the package's default is refused). */
const at = (date) => ({
  httpOptions: {
    headers: { Accept: `application/vnd.atlas.${date}+json`, "Content-Type": "application/json" },
  },
});

/** Polls `read` until `done(value)`, for at most `seconds`. */
async function until(what, read, done, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  let value;
  while (Date.now() < deadline) {
    value = await read();
    if (done(value)) return value;
    await sleep(100);
  }
  throw new Error(`${what}: gave up waiting, last answer ${JSON.stringify(value)}`);
}

const md5 = (text) => createHash("md5").update(text).digest("hex");

/** One Digest-authenticated call with fetch. The body never goes out unauthenticated: the
 * challenge comes from a body-less GET of the base. */
async function digestFetch(method, url, body, date, key = privateKey) {
  const challenge = await fetch(base);
  const header = challenge.headers.get("www-authenticate") || "";
  await challenge.arrayBuffer();
  const field = (name) => (header.match(new RegExp(`${name}="([^"]*)"`)) || [])[1];
  const realm = field("realm");
  const nonce = field("nonce");
  if (challenge.status !== 401 || !realm || !nonce || field("qop") !== "auth") {
    throw new Error(`no Digest challenge from ${base}: ${challenge.status} ${header}`);
  }
  const target = new URL(url);
  const uri = target.pathname + target.search;
  const nc = "00000001";
  const cnonce = randomBytes(8).toString("hex");
  const ha1 = md5(`${publicKey}:${realm}:${key}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const headers = {
    Accept: `application/vnd.atlas.${date}+json`,
    Authorization: `Digest username="${publicKey}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`,
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, headers: answer.headers, body: text ? JSON.parse(text) : null };
}

async function main() {
  const client = getClient({ publicKey, privateKey, baseUrl: base, projectId });
  const name = `npm-${Date.now().toString(36)}`;

  // Clusters: create, wait for IDLE, list, tag.
  const created = await client.cluster.create(
    {
      name,
      clusterType: "REPLICASET",
      backupEnabled: true,
      replicationSpecs: [
        {
          regionConfigs: [
            {
              providerName: "AWS",
              regionName: "EU_WEST_1",
              priority: 7,
              electableSpecs: { instanceSize: "M10", nodeCount: 3 },
            },
          ],
        },
      ],
    },
    at("2024-10-23"),
  );
  check(created.name === name && created.stateName === "CREATING", "create cluster", created);
  check(JSON.stringify(created.connectionStrings) === "{}", "no connection strings yet", created);
  const idle = await until(
    "cluster IDLE",
    () => client.cluster.get(name, at("2024-08-05")),
    (c) => c.stateName === "IDLE",
  );
  check(
    /^mongodb\+srv:\/\/npm-[a-z0-9]+\.[a-z0-9]{5}\.mongodb\.net$/.test(idle.connectionStrings.standardSrv),
    "standardSrv",
    idle.connectionStrings,
  );
  const all = await client.cluster.getAll(at("2024-08-05"));
  check(all.totalCount >= 1 && all.results.some((c) => c.name === name), "list clusters", all);
  const tagged = await client.cluster.update(name, { tags: [{ key: "via", value: "npm" }] }, at("2024-10-23"));
  check(tagged.tags?.[0]?.value === "npm", "tag cluster", tagged);
  const refused = await client.cluster.get(name, {
    httpOptions: { headers: { Accept: "application/json" } },
  });
  check(refused.errorCode === "INVALID_VERSION_DATE" && refused.error === 406, "unversioned Accept refused", refused);

  // Access list: create (IP and CIDR), read both ways, delete, 404.
  const cidr = "198.51.100.0/24";
  const listed = await client.projectAccesslist.create(
    [{ ipAddress: "192.0.2.10", comment: "npm client" }, { cidrBlock: cidr }],
    at("2023-01-01"),
  );
  check(listed.totalCount === 2, "create access list entries", listed);
  const host = await client.projectAccesslist.get("192.0.2.10", at("2023-01-01"));
  check(host.cidrBlock === "192.0.2.10/32" && host.ipAddress === "192.0.2.10", "IP stored as /32", host);
  const block = await client.projectAccesslist.get(encodeURIComponent(cidr), at("2023-01-01"));
  check(block.cidrBlock === cidr && block.ipAddress === undefined, "CIDR entry", block);
  const entries = await client.projectAccesslist.getAll(at("2023-01-01"));
  check(entries.results.length === 2, "list access list", entries);
  check((await client.projectAccesslist.delete(encodeURIComponent(cidr), at("2023-01-01"))) === true, "delete entry", null);
  const gone = await client.projectAccesslist.get(encodeURIComponent(cidr), at("2023-01-01"));
  check(gone.errorCode === "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND" && gone.error === 404, "deleted entry is 404", gone);

  // Auditing (fetch + Digest).
  const auditUrl = `${base}/groups/${projectId}/auditLog`;
  const fresh = await digestFetch("GET", auditUrl, undefined, "2023-01-01");
  check(fresh.status === 200 && fresh.body.configurationType === "NONE" && fresh.body.enabled === false, "fresh auditing", fresh.body);
  const filter = '{"atype": "authenticate"}';
  const audited = await digestFetch("PATCH", auditUrl, { enabled: true, auditFilter: filter }, "2023-01-01");
  check(
    audited.status === 202 && audited.body.enabled === true && audited.body.auditFilter === filter && audited.body.configurationType === "FILTER_JSON",
    "patch auditing",
    audited,
  );
  check(
    (audited.headers.get("content-type") || "").startsWith("application/vnd.atlas.2023-01-01+json"),
    "served version echoed",
    audited.headers.get("content-type"),
  );

  // Snapshot: take (fetch + Digest), then the package polls it to completed.
  const snapshotsUrl = `${base}/groups/${projectId}/clusters/${name}/backup/snapshots`;
  const taken = await digestFetch("POST", snapshotsUrl, { description: "npm", retentionInDays: 1 }, "2023-01-01");
  check(taken.status === 200 && taken.body.status === "queued" && /^[0-9a-f]{24}$/.test(taken.body.id), "take snapshot", taken);
  const done = await until(
    "snapshot completed",
    () => client.cloudBackup.getReplicaSetCloudBackup(name, taken.body.id, at("2023-01-01")),
    (s) => s.status === "completed",
  );
  check(done.id === taken.body.id, "completed snapshot", done);
  const snapshots = await client.cloudBackup.getAllReplicaSetCloudBackups(name, at("2023-01-01"));
  check(snapshots.totalCount === 1, "list snapshots", snapshots);

  // Delete the cluster and wait for the 404.
  check((await client.cluster.delete(name, at("2023-02-01"))) === true, "delete cluster", null);
  const deleted = await until(
    "cluster gone",
    () => client.cluster.get(name, at("2024-08-05")),
    (c) => c.errorCode === "CLUSTER_NOT_FOUND",
  );
  check(deleted.error === 404 && deleted.parameters?.[0] === name, "CLUSTER_NOT_FOUND body", deleted);

  // A wrong key is refused with the recorded 401 body, by the package and by fetch.
  const intruder = getClient({ publicKey, privateKey: `${privateKey}-wrong`, baseUrl: base, projectId });
  const denied = await intruder.cluster.getAll(at("2024-08-05"));
  check(denied.error === 401 && denied.errorCode === "UNEXPECTED_ERROR", "wrong key refused", denied);
  const deniedFetch = await digestFetch("GET", auditUrl, undefined, "2023-01-01", "wrong");
  check(deniedFetch.status === 401 && deniedFetch.body.reason === "Unauthorized", "wrong key refused (fetch)", deniedFetch.body);

  console.log(`atlas npm compatibility: ${checks} checks passed`);
}

main().catch((error) => {
  console.error(`atlas npm compatibility FAILED: ${error.message}`);
  process.exit(1);
});
