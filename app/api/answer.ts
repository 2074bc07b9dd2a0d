/** The answer the API serves, as data: what the answer cache holds and the front thread receives a copy of. */

export interface SegmentRule {
  segmentType: string;
  segmentName: string;
  min: number;
  /** null: open-ended. */
  max: number | null;
}

export interface AnswerRow {
  segmentType: string;
  segmentName: string;
  voucherAmount: number;
  voucherCount: number;
  segmentRows: number;
}

export interface Answer {
  /** Per segment type, its rules by ascending min. */
  rules: Map<string, SegmentRule[]>;
  /** The answer table (`voucher_api.answer`, segments_derived in the shipped project) keyed by `type \0 name`. */
  rows: Map<string, AnswerRow>;
  /** The pipeline's countries, trimmed and lower-cased. */
  countries: Set<string>;
  /** The countries as configured, for messages and /health. */
  countryNames: string[];
  builtAt: string | null;
  loadedAt: string;
  /** Increases with each swap; sent as the X-Answer-Version header. */
  version: number;
}

export const answerKey = (segmentType: string, segmentName: string) => `${segmentType}\u0000${segmentName}`;
