/** What a pull is for and with whose credentials: the node's platform and a registry login. */

/** Platform an image must match (`linux`/`arm64`, …), from the node. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Registry credentials (basic auth, or the identity token exchanged for a bearer token). */
export interface RegistryAuth {
  username: string;
  password: string;
}
