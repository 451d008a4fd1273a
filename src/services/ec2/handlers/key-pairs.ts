// Key pairs: CreateKeyPair (real RSA or ED25519 keys from node:crypto), ImportKeyPair,
// DescribeKeyPairs, DeleteKeyPair, with AWS's fingerprints:
// - created RSA: SHA-1 of the PKCS#8 DER private key, colon-separated hex;
// - imported RSA: MD5 of the DER public key (SubjectPublicKeyInfo), colon-separated hex;
// - ED25519 (created or imported): SHA-256 of the OpenSSH public key blob, base64 without padding.
import type {
  CreateKeyPairRequest, DeleteKeyPairRequest, DeleteKeyPairResult, DescribeKeyPairsRequest, DescribeKeyPairsResult,
  ImportKeyPairRequest, ImportKeyPairResult, KeyPair, KeyPairInfo,
} from "@aws-sdk/client-ec2";
import { createHash, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { AwsError } from "../../../core/errors.js";
import type { Handler } from "../../../core/service.js";
import { describe, dryRun, invalid, tagsOnCreate, tagsOut } from "../vpc/common.js";
import { vpcHandler } from "../vpc/handler.js";
import { newId } from "../vpc/ids.js";
import { RES } from "../vpc/lookup.js";
import { KIND, type Ec2State, type KeyDoc } from "../vpc/store.js";

const generate = promisify(generateKeyPair);

// ---------------------------------------------------------------- SSH wire encoding

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** An SSH mpint: big-endian, with a leading zero when the high bit is set. */
function sshMpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

function readSshStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) throw new Error("truncated");
    const len = blob.readUInt32BE(off);
    if (off + 4 + len > blob.length) throw new Error("truncated");
    out.push(blob.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

function rsaPublicBlob(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" }) as { n: string; e: string };
  return Buffer.concat([sshString("ssh-rsa"), sshMpint(Buffer.from(jwk.e, "base64url")), sshMpint(Buffer.from(jwk.n, "base64url"))]);
}

function ed25519PublicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
}

function colonHex(b: Buffer): string {
  return b.toString("hex").match(/../g)!.join(":");
}

function sha256Fingerprint(blob: Buffer): string {
  return createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The openssh-key-v1 private key file ssh-keygen writes for an unencrypted ED25519 key. */
function opensshPrivateKey(seed: Buffer, pub: Buffer, comment: string): string {
  const pubBlob = ed25519PublicBlob(pub);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const nkeys = Buffer.alloc(4);
  nkeys.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), nkeys, sshString(pubBlob), sshString(priv)]);
  const b64 = body.toString("base64").match(/.{1,70}/g)!.join("\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

// ---------------------------------------------------------------- handlers

function keyView(d: KeyDoc, includePublic: boolean): KeyPairInfo {
  const { publicKey, createTime, Tags, ...rest } = d;
  return { ...rest, Tags: tagsOut(Tags), CreateTime: new Date(createTime), PublicKey: includePublic ? publicKey : undefined };
}

function checkName(s: Ec2State, name: string | undefined): string {
  if (!name) throw new AwsError("MissingParameter", "The request must contain the parameter KeyName", 400);
  if (name.length > 255) throw invalid(`Value (${name}) for parameter keyName is invalid. Length exceeds maximum of 255.`);
  if (findByName(s, name)) throw new AwsError("InvalidKeyPair.Duplicate", `The keypair '${name}' already exists.`, 400);
  return name;
}

function findByName(s: Ec2State, name: string): KeyDoc | undefined {
  return s.all<KeyDoc>(KIND.key).find((k) => k.KeyName === name);
}

/** What CreateKeyPair checks before generating a key (a refused request costs no key). */
const checkCreate = vpcHandler<CreateKeyPairRequest, void>((input, s) => {
  checkName(s, input.KeyName);
  tagsOnCreate(input.TagSpecifications, "key-pair");
  dryRun(input);
});

const commitKey = vpcHandler<{ input: CreateKeyPairRequest | ImportKeyPairRequest; doc: KeyDoc }, KeyDoc>(({ input, doc }, s) => {
  // Checked again: another request may have taken the name while the key was generated.
  checkName(s, input.KeyName);
  doc.Tags = tagsOnCreate(input.TagSpecifications, "key-pair");
  s.put(KIND.key, doc.KeyPairId, doc);
  return doc;
});

export const CreateKeyPair: Handler<CreateKeyPairRequest, KeyPair> = async (input, ctx) => {
  const type = input.KeyType ?? "rsa";
  if (type !== "rsa" && type !== "ed25519") throw invalid(`Value (${type}) for parameter keyType is invalid. Valid values: rsa, ed25519.`);
  const format = input.KeyFormat ?? "pem";
  if (format !== "pem") {
    if (format === "ppk") throw invalid("Nimbus does not produce PuTTY (ppk) key files; see src/services/ec2/GAPS.md");
    throw invalid(`Value (${format}) for parameter keyFormat is invalid. Valid values: pem, ppk.`);
  }
  await checkCreate(input, ctx);
  let material: string;
  let fingerprint: string;
  let publicKey: string;
  if (type === "rsa") {
    const { privateKey, publicKey: pub } = await generate("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
    material = privateKey.export({ type: "pkcs1", format: "pem" }).toString().trimEnd();
    fingerprint = colonHex(createHash("sha1").update(privateKey.export({ type: "pkcs8", format: "der" })).digest());
    publicKey = `ssh-rsa ${rsaPublicBlob(pub).toString("base64")}`;
  } else {
    const { privateKey } = await generate("ed25519");
    const jwk = privateKey.export({ format: "jwk" }) as { d: string; x: string };
    const seed = Buffer.from(jwk.d, "base64url");
    const pub = Buffer.from(jwk.x, "base64url");
    const blob = ed25519PublicBlob(pub);
    material = opensshPrivateKey(seed, pub, "").trimEnd();
    fingerprint = sha256Fingerprint(blob);
    publicKey = `ssh-ed25519 ${blob.toString("base64")}`;
  }
  const doc: KeyDoc = {
    KeyPairId: newId("key"),
    KeyName: input.KeyName!,
    KeyFingerprint: fingerprint,
    KeyType: type,
    publicKey: `${publicKey} ${input.KeyName}`,
    createTime: new Date(ctx.clock.now()).toISOString(),
  };
  const d = await commitKey({ input, doc }, ctx);
  return { KeyName: d.KeyName, KeyFingerprint: d.KeyFingerprint, KeyMaterial: material, KeyPairId: d.KeyPairId, Tags: tagsOut(d.Tags) };
};

/** Parses an OpenSSH public key line ("ssh-rsa AAAA... comment") or a PEM/DER public key. */
function parsePublicKey(material: Uint8Array | string | undefined): { type: "rsa" | "ed25519"; blob: Buffer; spki?: Buffer } {
  if (!material) throw new AwsError("MissingParameter", "The request must contain the parameter PublicKeyMaterial", 400);
  const bad = () => new AwsError("InvalidKey.Format", "Key is not in valid OpenSSH public key format", 400);
  const text = Buffer.from(material).toString("utf8").trim();
  const m = /^(ssh-rsa|ssh-ed25519)\s+([A-Za-z0-9+/=]+)(?:\s.*)?$/.exec(text);
  try {
    if (m) {
      const blob = Buffer.from(m[2], "base64");
      const parts = readSshStrings(blob);
      if (parts[0].toString() !== m[1]) throw bad();
      if (m[1] === "ssh-ed25519") {
        if (parts.length !== 2 || parts[1].length !== 32) throw bad();
        return { type: "ed25519", blob };
      }
      if (parts.length !== 3) throw bad();
      const key = createPublicKey({ key: { kty: "RSA", e: parts[1].toString("base64url"), n: parts[2].toString("base64url") }, format: "jwk" });
      return { type: "rsa", blob, spki: key.export({ type: "spki", format: "der" }) };
    }
    const key = text.startsWith("-----BEGIN") ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
    if (key.asymmetricKeyType === "rsa") return { type: "rsa", blob: rsaPublicBlob(key), spki: key.export({ type: "spki", format: "der" }) };
    if (key.asymmetricKeyType === "ed25519") {
      const jwk = key.export({ format: "jwk" }) as { x: string };
      return { type: "ed25519", blob: ed25519PublicBlob(Buffer.from(jwk.x, "base64url")) };
    }
  } catch (e) {
    if (e instanceof AwsError) throw e;
  }
  throw bad();
}

export const ImportKeyPair: Handler<ImportKeyPairRequest, ImportKeyPairResult> = async (input, ctx) => {
  const parsed = parsePublicKey(input.PublicKeyMaterial);
  await checkCreate({ KeyName: input.KeyName, TagSpecifications: input.TagSpecifications, DryRun: input.DryRun }, ctx);
  const prefix = parsed.type === "rsa" ? "ssh-rsa" : "ssh-ed25519";
  const doc: KeyDoc = {
    KeyPairId: newId("key"),
    KeyName: input.KeyName!,
    KeyFingerprint: parsed.type === "rsa" ? colonHex(createHash("md5").update(parsed.spki!).digest()) : sha256Fingerprint(parsed.blob),
    KeyType: parsed.type,
    publicKey: `${prefix} ${parsed.blob.toString("base64")} ${input.KeyName}`,
    createTime: new Date(ctx.clock.now()).toISOString(),
  };
  const d = await commitKey({ input, doc }, ctx);
  return { KeyName: d.KeyName, KeyFingerprint: d.KeyFingerprint, KeyPairId: d.KeyPairId, Tags: tagsOut(d.Tags) };
};

export const DescribeKeyPairs = vpcHandler<DescribeKeyPairsRequest, DescribeKeyPairsResult>((input, s) => {
  dryRun(input);
  let docs = s.all<KeyDoc>(KIND.key);
  if (input.KeyNames?.length) {
    const missing = input.KeyNames.filter((n) => !docs.some((k) => k.KeyName === n));
    if (missing.length) throw new AwsError("InvalidKeyPair.NotFound", `The key pair${missing.length > 1 ? "s" : ""} '${missing.join(", ")}' ${missing.length > 1 ? "do" : "does"} not exist`, 400);
    docs = docs.filter((k) => input.KeyNames!.includes(k.KeyName));
  }
  const { items } = describe(docs, input.KeyPairIds, { Filters: input.Filters }, {
    res: RES.key,
    idsParam: "keyPairIds",
    idOf: (d) => d.KeyPairId,
    view: (d) => keyView(d, !!input.IncludePublicKey),
    accessors: {
      "key-name": (d) => d.KeyName,
      "key-pair-id": (d) => d.KeyPairId,
      fingerprint: (d) => d.KeyFingerprint,
      "key-type": (d) => d.KeyType,
    },
  });
  return { KeyPairs: items };
});

/** AWS answers success for a name that does not exist; an unknown id is an error. */
export const DeleteKeyPair = vpcHandler<DeleteKeyPairRequest, DeleteKeyPairResult>((input, s) => {
  let doc: KeyDoc | undefined;
  if (input.KeyPairId) {
    doc = s.get<KeyDoc>(KIND.key, input.KeyPairId);
    if (!doc) throw new AwsError("InvalidKeyPair.NotFound", `The key pair ID '${input.KeyPairId}' does not exist`, 400);
  } else if (input.KeyName) doc = findByName(s, input.KeyName);
  else throw new AwsError("MissingParameter", "The request must contain the parameter KeyName or KeyPairId", 400);
  dryRun(input);
  if (doc) s.delete(KIND.key, doc.KeyPairId);
  return { Return: true, KeyPairId: doc?.KeyPairId };
});
