/**
 * SSH message numbers (RFC 4250 section 4.1, RFC 4253, 4252, 4254; RFC 8308 for EXT_INFO).
 *
 * @module
 */

/** Message numbers by name. */
export const MSG = {
  DISCONNECT: 1,
  IGNORE: 2,
  UNIMPLEMENTED: 3,
  DEBUG: 4,
  SERVICE_REQUEST: 5,
  SERVICE_ACCEPT: 6,
  EXT_INFO: 7,
  KEXINIT: 20,
  NEWKEYS: 21,
  /** KEXDH_INIT and KEX_ECDH_INIT share the number. */
  KEX_INIT: 30,
  /** KEXDH_REPLY and KEX_ECDH_REPLY share the number. */
  KEX_REPLY: 31,
  USERAUTH_REQUEST: 50,
  USERAUTH_FAILURE: 51,
  USERAUTH_SUCCESS: 52,
  USERAUTH_BANNER: 53,
  /** USERAUTH_PK_OK, USERAUTH_PASSWD_CHANGEREQ and USERAUTH_INFO_REQUEST share the number. */
  USERAUTH_60: 60,
  USERAUTH_INFO_RESPONSE: 61,
  GLOBAL_REQUEST: 80,
  REQUEST_SUCCESS: 81,
  REQUEST_FAILURE: 82,
  CHANNEL_OPEN: 90,
  CHANNEL_OPEN_CONFIRMATION: 91,
  CHANNEL_OPEN_FAILURE: 92,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
  CHANNEL_SUCCESS: 99,
  CHANNEL_FAILURE: 100,
} as const;

/**
 * The reason codes of a DISCONNECT (RFC 4253 11.1) that aft sends: when it ends a connection
 * because of what the server sent, the server's log says why (as OpenSSH's client does).
 */
export const DISCONNECT_REASON = {
  PROTOCOL_ERROR: 2,
  KEY_EXCHANGE_FAILED: 3,
  MAC_ERROR: 5,
  HOST_KEY_NOT_VERIFIABLE: 9,
  BY_APPLICATION: 11,
} as const;

/** Whether `type` belongs to the key exchange (RFC 4253 7: 20 to 49, and 1 to 4 are neutral). */
export function isKexMessage(type: number): boolean {
  return type >= 20 && type <= 49;
}
