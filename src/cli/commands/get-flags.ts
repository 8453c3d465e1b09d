/** Options of `edgectl get`, as commander parses them; shared by the listing and the watching halves. */
export interface GetFlags {
  output?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  watchOnly?: boolean;
  headers?: boolean;
  showLabels?: boolean;
  /** `--sort-by`: a (relaxed) JSONPath to a string or number field. */
  sortBy?: string;
}
