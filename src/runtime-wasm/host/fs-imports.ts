/**
 * `wasi:filesystem` for one instance (worker side): the preopens are exactly the container's mounts,
 * each at its `containerPath`; `types` is assembled from the descriptor methods
 * (fs-descriptor-imports.ts) and the path methods (fs-path-imports.ts). Without mounts there are no
 * preopens, so no descriptor ever exists.
 */
import type { InterfaceImports } from './context.js';
import { FsIoError } from './fs-errors.js';
import { descriptorImports } from './fs-descriptor-imports.js';
import { pathImports } from './fs-path-imports.js';
import { Descriptor, DescriptorFlag } from './fs-resources.js';
import { IoError } from './io-resources.js';

/** `wasi:filesystem/types`. */
export const filesystemTypesImports: InterfaceImports = {
  ...descriptorImports,
  ...pathImports,
  // option<error-code>: the code of a file stream's failure; none for other streams' errors.
  'filesystem-error-code':
    ({ mem, state }) =>
    (err: number, ret: number): void => {
      const e = state.table.get(err, IoError);
      if (e instanceof FsIoError) {
        mem.u8[ret + 1] = e.code;
        mem.u8[ret] = 1;
      } else mem.u8[ret] = 0;
    },
};

/** `wasi:filesystem/preopens`: a fresh descriptor of each mount's root, with its path in the guest. */
export const preopensImports: InterfaceImports = {
  'get-directories':
    ({ mem, state }) =>
    (ret: number): void => {
      const mounts = state.mounts;
      // Canonical order: the list first, then each element's string.
      const list = mem.alloc(4, mounts.length * 12);
      for (let i = 0; i < mounts.length; i++) {
        const m = mounts[i]!;
        const flags = DescriptorFlag.read | (m.readOnly ? 0 : DescriptorFlag.mutateDirectory);
        mem.dv.setUint32(list + i * 12, state.table.add(new Descriptor(m, [], 'directory', flags)), true);
        mem.storeString(list + i * 12 + 4, m.containerPath);
      }
      mem.dv.setUint32(ret, list, true);
      mem.dv.setUint32(ret + 4, mounts.length, true);
    },
};
