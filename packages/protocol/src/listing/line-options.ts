/** Options shared by the line parsers whose dates may lack a year. */
export interface LineParseOptions {
  /**
   * The reference time for year inference: a Unix or NetWare LIST line shows `HH:MM` and no
   * year for recent files, and the year is chosen relative to this instant (see
   * `FileInfo.modifiedAt`). Time is an input: the parsers never read the clock, so
   * without `now` such lines get `rawModifiedAt` but no `modifiedAt`.
   */
  now?: Date;
}
