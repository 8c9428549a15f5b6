/**
 * The files behind a VFS Library entry: list a folder, download and upload a file (streamed;
 * an upload of any size, kept only when every byte of its `Content-Length` arrived), make a
 * folder, rename, delete. Paths are the VFS's own (`/in/report.csv`).
 *
 * @module
 */

import { contentDisposition } from "../../engine/mod.ts";
import type { AppDeps, RouteDef } from "../route_def.ts";
import type { Schema } from "../schema.ts";
import { ApiError } from "../api_error.ts";
import { ERROR_SCHEMA } from "./_schemas.ts";

const FILE: Schema = {
  type: "object",
  properties: {
    name: { type: "string" },
    path: { type: "string" },
    size: { type: "integer" },
    modTime: { type: "string", format: "date-time" },
    isDir: { type: "boolean" },
  },
};

const PATH: Schema = { type: "string", minLength: 1, maxLength: 4096 };

/** The file routes of the VFS Library. */
export function vfsFileRoutes({ engine }: AppDeps): RouteDef[] {
  const files = engine.vfs.files;
  return [
    {
      method: "get",
      path: "/v1/adm/vfs/{name}/files",
      operationId: "listVfsFiles",
      summary: "A folder's entries, folders first",
      tag: "vfs",
      scope: "admin",
      query: { path: { ...PATH, description: "The folder; default /" } },
      responses: {
        200: {
          description: "The folder",
          schema: {
            type: "object",
            properties: { path: { type: "string" }, entries: { type: "array", items: FILE } },
          },
        },
        404: { description: "No such VFS or folder", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, query }) =>
        c.json(await files.list(params.name!, query.path || "/")),
    },
    {
      method: "get",
      path: "/v1/adm/vfs/{name}/file",
      operationId: "downloadVfsFile",
      summary: "Download a file (streamed)",
      tag: "vfs",
      scope: "admin",
      query: { path: PATH },
      responses: {
        200: {
          description: "The file's bytes",
          contentType: "application/octet-stream",
          schema: { type: "string", format: "binary" },
        },
        404: { description: "No such VFS or file", schema: ERROR_SCHEMA },
      },
      handler: async (_c, { params, query }) => {
        const { file, body } = await files.download(params.name!, query.path ?? "");
        return new Response(body, {
          headers: {
            "Content-Type": "application/octet-stream",
            "Content-Length": String(file.size),
            "Content-Disposition": contentDisposition(file.name),
          },
        });
      },
    },
    {
      method: "put",
      path: "/v1/adm/vfs/{name}/file",
      operationId: "uploadVfsFile",
      summary:
        "Upload a file (streamed, any size; kept only when all of Content-Length arrived; refused when it exists unless overwrite=true)",
      tag: "vfs",
      scope: "admin",
      rawBody: { contentType: "application/octet-stream", description: "The file's bytes" },
      query: { path: PATH, overwrite: { type: "string", enum: ["true", "false"] } },
      responses: {
        201: { description: "Stored", schema: FILE },
        404: { description: "No such VFS or folder", schema: ERROR_SCHEMA },
        409: { description: "The file exists", schema: ERROR_SCHEMA },
        411: { description: "No Content-Length", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, query, actor }) => {
        const size = Number(c.req.header("Content-Length"));
        if (!Number.isSafeInteger(size) || size < 0) {
          throw new ApiError(411, "LENGTH_REQUIRED", "An upload needs its Content-Length");
        }
        const body = c.req.raw.body ?? new ReadableStream({ start: (ctrl) => ctrl.close() });
        const file = await engine.as(actor).vfs.files.upload(params.name!, query.path ?? "", body, {
          overwrite: query.overwrite === "true",
          size,
        });
        return c.json(file, 201);
      },
    },
    {
      method: "post",
      path: "/v1/adm/vfs/{name}/mkdir",
      operationId: "makeVfsFolder",
      summary: "Make a folder (its parent must exist)",
      tag: "vfs",
      scope: "admin",
      body: {
        type: "object",
        required: ["path"],
        properties: { path: PATH },
        additionalProperties: false,
      },
      responses: {
        201: { description: "Made", schema: FILE },
        404: { description: "No such VFS or parent folder", schema: ERROR_SCHEMA },
        409: { description: "Something has that name", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, body, actor }) =>
        c.json(
          await engine.as(actor).vfs.files.mkdir(params.name!, (body as { path: string }).path),
          201,
        ),
    },
    {
      method: "post",
      path: "/v1/adm/vfs/{name}/rename",
      operationId: "renameVfsFile",
      summary: "Rename or move a file or folder (nothing is replaced)",
      tag: "vfs",
      scope: "admin",
      body: {
        type: "object",
        required: ["from", "to"],
        properties: { from: PATH, to: PATH },
        additionalProperties: false,
      },
      responses: {
        200: { description: "Renamed", schema: FILE },
        404: { description: "No such VFS or file", schema: ERROR_SCHEMA },
        409: { description: "The new name is taken", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, body, actor }) => {
        const b = body as { from: string; to: string };
        return c.json(await engine.as(actor).vfs.files.rename(params.name!, b.from, b.to));
      },
    },
    {
      method: "delete",
      path: "/v1/adm/vfs/{name}/file",
      operationId: "deleteVfsFile",
      summary: "Delete a file, or a folder with everything in it",
      tag: "vfs",
      scope: "admin",
      query: { path: PATH },
      responses: {
        204: { description: "Deleted" },
        404: { description: "Not found", schema: ERROR_SCHEMA },
      },
      handler: async (c, { params, query, actor }) => {
        await engine.as(actor).vfs.files.remove(params.name!, query.path ?? "");
        return c.body(null, 204);
      },
    },
  ];
}
