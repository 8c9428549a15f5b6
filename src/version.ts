/** The version `aft version` prints and `/v1/health` reports. */
export const VERSION = "0.1.0";
