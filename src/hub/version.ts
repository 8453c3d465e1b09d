/** Version reported by `/version` and by nodes (`kubeletVersion`). */
export const HUB_VERSION = 'v0.1.0';
