/**
 * The VFS Library: list, add (options encrypted at rest), show (credentials masked), change
 * (credentials write-only), test, remove; and the files behind an entry (`vfs_files.ts`).
 *
 * @module
 */

import type { VfsPatch, VfsType } from "../../engine/mod.ts";
import { vfsFileRoutes } from "./vfs_files.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { DELETED, ERROR_SCHEMA, NAME } from "./_schemas.ts";

const VFS: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    type: { type: "string" },
    target: { type: "string" },
    options: { type: "object", additionalProperties: { type: "string" } },
  },
};

/** The VFS Library routes. */
export function vfsRoutes({ engine }: AppDeps): RouteDef[] {
  return [
    {
      method: "get",
      path: "/v1/adm/vfs",
      operationId: "listVfs",
      summary: "The VFS Library",
      tag: "vfs",
      scope: "admin",
      responses: { 200: { description: "Entries", schema: { type: "array", items: VFS } } },
      handler: async (c) => c.json(await engine.vfs.list()),
    },
    {
      method: "post",
      path: "/v1/adm/vfs",
      operationId: "createVfs",
      summary: "Add a VFS (options are encrypted at rest)",
      tag: "vfs",
      scope: "admin",
      body: {
        type: "object",
        required: ["name", "type", "target"],
        properties: {
          name: NAME,
          type: { type: "string", enum: ["disk", "sftp", "ftp", "ftps", "s3", "azure", "gcs"] },
          target: { type: "string", minLength: 1 },
          options: { type: "object", additionalProperties: { type: "string" } },
        },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Added", schema: VFS },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { body }) => {
        const b = body as {
          name: string;
          type: VfsType;
          target: string;
          options?: Record<string, string>;
        };
        const { vfs } = await engine.vfs.add({
          name: b.name,
          type: b.type,
          target: b.target,
          options: b.options ?? {},
        });
        return c.json(vfs, 201);
      },
    },
    {
      method: "get",
      path: "/v1/adm/vfs/{name}",
      operationId: "getVfs",
      summary: "One VFS, credentials masked",
      tag: "vfs",
      scope: "admin",
      responses: {
        200: { description: "The entry", schema: VFS },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await engine.vfs.get(params.name!)),
    },
    {
      method: "patch",
      path: "/v1/adm/vfs/{name}",
      operationId: "updateVfs",
      summary:
        "Change a VFS: name, target, options (a credential left empty or out keeps its value; clear removes it)",
      tag: "vfs",
      scope: "admin",
      body: {
        type: "object",
        properties: {
          name: NAME,
          target: { type: "string", minLength: 1 },
          options: { type: "object", additionalProperties: { type: "string" } },
          clear: { type: "array", items: { type: "string" }, maxItems: 100 },
        },
        additionalProperties: false,
      },
      responses: {
        200: { description: "The entry as it is now", schema: VFS },
        404: { description: "Not found", schema: ERROR_SCHEMA },
        409: { description: "Name taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, body }) =>
        c.json(await engine.vfs.update(params.name!, body as VfsPatch)),
    },
    {
      method: "post",
      path: "/v1/adm/vfs/{name}/test",
      operationId: "testVfs",
      summary: "Connect and list the root; a failure says its cause in one sentence",
      tag: "vfs",
      scope: "admin",
      responses: {
        200: {
          description: "It answers",
          schema: {
            type: "object",
            properties: { name: { type: "string" }, entries: { type: "integer" } },
          },
        },
        404: { description: "Not found", schema: ERROR_SCHEMA },
        500: { description: "It does not answer (VFS_FAILED)", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params }) => c.json(await engine.vfs.test(params.name!)),
    },
    {
      method: "delete",
      path: "/v1/adm/vfs/{name}",
      operationId: "deleteVfs",
      summary: "Remove a VFS",
      tag: "vfs",
      scope: "admin",
      responses: DELETED,
      handler: async (c, { params }) => {
        await engine.vfs.remove(params.name!);
        return c.body(null, 204);
      },
    },
    ...vfsFileRoutes({ engine }),
  ];
}
