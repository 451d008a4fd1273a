// Identity providers: OpenID Connect (Create/Get/List/Delete, client ids, thumbprints, tags)
// and SAML (Create/Get/List/Update/Delete). STS's AssumeRoleWithWebIdentity reads the OIDC
// provider of a token's issuer from here.
import { randomUUID } from "node:crypto";
import type {
  AddClientIDToOpenIDConnectProviderRequest,
  CreateOpenIDConnectProviderRequest,
  CreateOpenIDConnectProviderResponse,
  CreateSAMLProviderRequest,
  CreateSAMLProviderResponse,
  DeleteOpenIDConnectProviderRequest,
  DeleteSAMLProviderRequest,
  GetOpenIDConnectProviderRequest,
  GetOpenIDConnectProviderResponse,
  GetSAMLProviderRequest,
  GetSAMLProviderResponse,
  ListOpenIDConnectProviderTagsRequest,
  ListOpenIDConnectProviderTagsResponse,
  ListOpenIDConnectProvidersResponse,
  ListSAMLProvidersResponse,
  RemoveClientIDFromOpenIDConnectProviderRequest,
  TagOpenIDConnectProviderRequest,
  UntagOpenIDConnectProviderRequest,
  UpdateOpenIDConnectProviderThumbprintRequest,
  UpdateSAMLProviderRequest,
  UpdateSAMLProviderResponse,
  TagSAMLProviderRequest,
  UntagSAMLProviderRequest,
  ListSAMLProviderTagsRequest,
  ListSAMLProviderTagsResponse,
} from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../../core/service.js";
import { type Tag, alreadyExists, checkName, invalidInput, limitExceeded, mergeTags, noSuchEntity, pageFields, paginate, removeTags, validationError, nowSeconds, tagsPage } from "../common.js";

interface OidcProviderDoc {
  Url: string;
  ClientIDList: string[];
  ThumbprintList: string[];
  CreateDate: number;
  Tags: Tag[];
}

interface SamlProviderDoc {
  Name: string;
  SAMLProviderUUID: string;
  SAMLMetadataDocument: string;
  CreateDate: number;
  ValidUntil: number;
  Tags: Tag[];
}

/** "https://token.actions.githubusercontent.com/" -> "token.actions.githubusercontent.com" (the ARN's and Url's form). */
function providerHost(url: string): string {
  return url.replace(/^https:\/\//i, "").replace(/\/$/, "");
}

function oidcArn(accountId: string, host: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${host}`;
}

/** The provider an ARN of this account names (its id is the ARN's host/path part). */
function oidcOf(ctx: RequestContext, arn: string | undefined): { id: string; doc: OidcProviderDoc } {
  const prefix = `arn:aws:iam::${ctx.accountId}:oidc-provider/`;
  const id = arn?.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  const doc = id === undefined ? undefined : ctx.store.get<OidcProviderDoc>("oidc-provider", id);
  if (!doc || id === undefined) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
  return { id, doc };
}

function checkThumbprints(list: string[] | undefined): string[] {
  const out = list ?? [];
  if (out.length > 5) throw limitExceeded("Thumbprint list must contain fewer than 5 entries.");
  out.forEach((t, i) => {
    if (t.length !== 40) throw validationError(t, `thumbprintList.${i + 1}.member`, "Member must have length greater than or equal to 40");
  });
  return out;
}

export const CreateOpenIDConnectProvider: Handler<CreateOpenIDConnectProviderRequest, CreateOpenIDConnectProviderResponse> = (input, ctx) => {
  const url = input.Url ?? "";
  if (!/^https:\/\/[^\s/]+/i.test(url) || url.length > 255) throw invalidInput("Invalid Url. The Url must begin with https://");
  const host = providerHost(url);
  const thumbprints = checkThumbprints(input.ThumbprintList);
  const clientIds = [...new Set(input.ClientIDList ?? [])];
  if (clientIds.length > 100) throw limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100");
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (ctx.store.get("oidc-provider", host)) throw alreadyExists(`Provider with url https://${host} already exists.`);
    ctx.store.put<OidcProviderDoc>("oidc-provider", host, { Url: host, ClientIDList: clientIds, ThumbprintList: thumbprints, CreateDate: nowSeconds(ctx), Tags: tags });
    return { OpenIDConnectProviderArn: oidcArn(ctx.accountId, host), ...(tags.length ? { Tags: tags } : {}) };
  });
};

export const GetOpenIDConnectProvider: Handler<GetOpenIDConnectProviderRequest, GetOpenIDConnectProviderResponse> = (input, ctx) => {
  const { doc } = oidcOf(ctx, input.OpenIDConnectProviderArn);
  return {
    Url: doc.Url,
    ClientIDList: doc.ClientIDList,
    ThumbprintList: doc.ThumbprintList,
    CreateDate: new Date(doc.CreateDate),
    ...(doc.Tags.length ? { Tags: doc.Tags } : {}),
  };
};

export const ListOpenIDConnectProviders: Handler<Record<string, never>, ListOpenIDConnectProvidersResponse> = (_input, ctx) => ({
  OpenIDConnectProviderList: ctx.store.list<OidcProviderDoc>("oidc-provider").map((r) => ({ Arn: oidcArn(ctx.accountId, r.id) })),
});

export const DeleteOpenIDConnectProvider: Handler<DeleteOpenIDConnectProviderRequest, Record<string, never>> = (input, ctx) => {
  const { id } = oidcOf(ctx, input.OpenIDConnectProviderArn);
  ctx.store.delete("oidc-provider", id);
  return {};
};

function updateOidc(ctx: RequestContext, arn: string | undefined, change: (doc: OidcProviderDoc) => void): Record<string, never> {
  ctx.store.tx(() => {
    const { id, doc } = oidcOf(ctx, arn);
    change(doc);
    ctx.store.put("oidc-provider", id, doc);
  });
  return {};
}

export const AddClientIDToOpenIDConnectProvider: Handler<AddClientIDToOpenIDConnectProviderRequest, Record<string, never>> = (input, ctx) =>
  updateOidc(ctx, input.OpenIDConnectProviderArn, (d) => {
    if (!d.ClientIDList.includes(input.ClientID!)) d.ClientIDList.push(input.ClientID!);
  });

export const RemoveClientIDFromOpenIDConnectProvider: Handler<RemoveClientIDFromOpenIDConnectProviderRequest, Record<string, never>> = (input, ctx) =>
  updateOidc(ctx, input.OpenIDConnectProviderArn, (d) => {
    d.ClientIDList = d.ClientIDList.filter((c) => c !== input.ClientID);
  });

export const UpdateOpenIDConnectProviderThumbprint: Handler<UpdateOpenIDConnectProviderThumbprintRequest, Record<string, never>> = (input, ctx) => {
  const thumbprints = checkThumbprints(input.ThumbprintList);
  return updateOidc(ctx, input.OpenIDConnectProviderArn, (d) => {
    d.ThumbprintList = thumbprints;
  });
};

export const TagOpenIDConnectProvider: Handler<TagOpenIDConnectProviderRequest, Record<string, never>> = (input, ctx) =>
  updateOidc(ctx, input.OpenIDConnectProviderArn, (d) => {
    d.Tags = mergeTags(d.Tags, input.Tags);
  });

export const UntagOpenIDConnectProvider: Handler<UntagOpenIDConnectProviderRequest, Record<string, never>> = (input, ctx) =>
  updateOidc(ctx, input.OpenIDConnectProviderArn, (d) => {
    d.Tags = removeTags(d.Tags, input.TagKeys);
  });

export const ListOpenIDConnectProviderTags: Handler<ListOpenIDConnectProviderTagsRequest, ListOpenIDConnectProviderTagsResponse> = (input, ctx) => tagsPage(oidcOf(ctx, input.OpenIDConnectProviderArn).doc.Tags, input);

// ---- SAML ----------------------------------------------------------------------------

function samlArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:saml-provider/${name}`;
}

function samlOf(ctx: RequestContext, arn: string | undefined): SamlProviderDoc {
  const prefix = `arn:aws:iam::${ctx.accountId}:saml-provider/`;
  const name = arn?.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  const doc = name === undefined ? undefined : ctx.store.get<SamlProviderDoc>("saml-provider", name);
  if (!doc) throw noSuchEntity(`Manifest not found for arn ${arn}`);
  return doc;
}

function checkMetadata(doc: string | undefined): string {
  const d = doc ?? "";
  if (d.length < 1000 || d.length > 10_000_000) {
    throw validationError("...", "sAMLMetadataDocument", d.length < 1000 ? "Member must have length greater than or equal to 1000" : "Member must have length less than or equal to 10000000");
  }
  if (!/<(?:[\w-]+:)?EntityDescriptor\b/.test(d)) throw invalidInput("Could not parse metadata");
  return d;
}

/** validUntil of the metadata, else a year from now (what AWS shows when the metadata names none is undocumented). */
function validUntil(doc: string, now: number): number {
  const m = /validUntil="([^"]+)"/.exec(doc);
  const t = m ? Date.parse(m[1]) : NaN;
  return Number.isNaN(t) ? now + 365 * 86_400_000 : t;
}

export const CreateSAMLProvider: Handler<CreateSAMLProviderRequest, CreateSAMLProviderResponse> = (input, ctx) => {
  const name = checkName(input.Name, "name", 128);
  if (!/^[\w._-]+$/.test(name)) throw validationError(name, "name", "Member must satisfy regular expression pattern: [\\w._-]+");
  const metadata = checkMetadata(input.SAMLMetadataDocument);
  const tags = mergeTags([], input.Tags);
  return ctx.store.tx(() => {
    if (ctx.store.get("saml-provider", name)) throw alreadyExists(`SAMLProvider ${name} already exists.`);
    const now = nowSeconds(ctx);
    ctx.store.put<SamlProviderDoc>("saml-provider", name, {
      Name: name,
      SAMLProviderUUID: randomUUID(),
      SAMLMetadataDocument: metadata,
      CreateDate: now,
      ValidUntil: validUntil(metadata, now),
      Tags: tags,
    });
    return { SAMLProviderArn: samlArn(ctx.accountId, name), ...(tags.length ? { Tags: tags } : {}) };
  });
};

export const GetSAMLProvider: Handler<GetSAMLProviderRequest, GetSAMLProviderResponse> = (input, ctx) => {
  const d = samlOf(ctx, input.SAMLProviderArn);
  return {
    SAMLProviderUUID: d.SAMLProviderUUID,
    SAMLMetadataDocument: d.SAMLMetadataDocument,
    CreateDate: new Date(d.CreateDate),
    ValidUntil: new Date(d.ValidUntil),
    ...(d.Tags.length ? { Tags: d.Tags } : {}),
  };
};

export const ListSAMLProviders: Handler<Record<string, never>, ListSAMLProvidersResponse> = (_input, ctx) => ({
  SAMLProviderList: ctx.store
    .list<SamlProviderDoc>("saml-provider")
    .map((r) => ({ Arn: samlArn(ctx.accountId, r.id), ValidUntil: new Date(r.doc.ValidUntil), CreateDate: new Date(r.doc.CreateDate) })),
});

export const UpdateSAMLProvider: Handler<UpdateSAMLProviderRequest, UpdateSAMLProviderResponse> = (input, ctx) =>
  ctx.store.tx(() => {
    const d = samlOf(ctx, input.SAMLProviderArn);
    if (input.SAMLMetadataDocument !== undefined) {
      d.SAMLMetadataDocument = checkMetadata(input.SAMLMetadataDocument);
      d.ValidUntil = validUntil(d.SAMLMetadataDocument, nowSeconds(ctx));
    }
    ctx.store.put("saml-provider", d.Name, d);
    return { SAMLProviderArn: samlArn(ctx.accountId, d.Name) };
  });

export const DeleteSAMLProvider: Handler<DeleteSAMLProviderRequest, Record<string, never>> = (input, ctx) => {
  const d = samlOf(ctx, input.SAMLProviderArn);
  ctx.store.delete("saml-provider", d.Name);
  return {};
};

function updateSaml(ctx: RequestContext, arn: string | undefined, change: (doc: SamlProviderDoc) => void): Record<string, never> {
  ctx.store.tx(() => {
    const d = samlOf(ctx, arn);
    change(d);
    ctx.store.put("saml-provider", d.Name, d);
  });
  return {};
}

export const TagSAMLProvider: Handler<TagSAMLProviderRequest, Record<string, never>> = (input, ctx) =>
  updateSaml(ctx, input.SAMLProviderArn, (d) => {
    d.Tags = mergeTags(d.Tags, input.Tags);
  });

export const UntagSAMLProvider: Handler<UntagSAMLProviderRequest, Record<string, never>> = (input, ctx) =>
  updateSaml(ctx, input.SAMLProviderArn, (d) => {
    d.Tags = removeTags(d.Tags, input.TagKeys);
  });

export const ListSAMLProviderTags: Handler<ListSAMLProviderTagsRequest, ListSAMLProviderTagsResponse> = (input, ctx) => tagsPage(samlOf(ctx, input.SAMLProviderArn).Tags, input);
