import { cutEnd } from '../policy/render.js'

/**
 * What one answer may carry (README, HTTP contract). The API server copies `status.message` into its error, audit
 * log and events, passes `warnings` to the client (each over 256 characters may be truncated, and past 4096 in
 * all they are dropped) and stores `auditAnnotations` with the audit event; an object is the attacker's text.
 * So every list is cut here, whole texts first, with "... and K more" for what does not fit: a reader always
 * learns that there was more, and a text is cut only when not even one fits.
 */
export const answerBudget = {
  /** violations listed in status.message */
  messageViolations: 25,
  /** UTF-8 bytes of status.message */
  messageBytes: 8 * 1024,
  /** causes in status.details.causes, before the one that says how many more */
  causes: 100,
  /** UTF-8 bytes of status.details, as JSON */
  detailsBytes: 32 * 1024,
  /** characters of one warning (the API server's limit) */
  warningLength: 256,
  /** characters of all warnings together (the API server's limit) */
  warningsLength: 4096,
  /** characters of one audit annotation's value */
  annotationLength: 1024,
} as const

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

/** An upper bound of utf8Bytes without reading the text: at most 3 UTF-8 bytes per UTF-16 code unit. */
export const utf8Bound = (text: string): number => 3 * text.length

export const moreText = (n: number): string => `... and ${n} more`

export interface Fitted<T> {
  shown: T[]
  /** how many items were not shown */
  more: number
}

/**
 * The first items (at most `count`) whose sizes, with `separator` between them and room kept for the "... and
 * K more" entry, fit `budget`; `render` is called only for the items looked at, so a list of 140,000 findings
 * costs as much as the few shown. When not even the first fits, it is shortened (`shorten`) to fit.
 */
export function fitList<I, T>(
  items: readonly I[],
  options: {
    count: number
    budget: number
    separator: number
    render: (item: I) => T
    size: (rendered: T) => number
    /** the size of the "... and K more" entry */
    moreSize: (more: number) => number
    shorten: (rendered: T, size: number) => T
    /**
     * A cheap upper bound of `size` (characters × 3 for UTF-8 bytes, say): a short list whose bounds fit is taken
     * whole without measuring each item, the common case of a denial with a few violations.
     */
    bound?: (rendered: T) => number
    /** how many items one stands for (a summary of several), counted in "K more"; 1 when absent */
    weight?: (item: I) => number
  },
): Fitted<T> {
  if (items.length <= options.count) {
    // All of a short list, when it fits without the summary.
    const all = items.map(options.render)
    const separators = options.separator * Math.max(0, all.length - 1)
    const { bound } = options
    if (bound !== undefined && all.reduce((n, r) => n + bound(r), 0) + separators <= options.budget) return { shown: all, more: 0 }
    const size = all.reduce((n, r) => n + options.size(r), 0) + separators
    if (size <= options.budget) return { shown: all, more: 0 }
  }
  const weight = options.weight ?? (() => 1)
  let total = 0
  for (const item of items) total += weight(item)
  const shown: T[] = []
  let used = 0
  let shownWeight = 0
  for (const item of items) {
    if (shown.length === options.count) break
    const rendered = options.render(item)
    const more = total - shownWeight - weight(item)
    const room = options.budget - used - (shown.length > 0 ? options.separator : 0) - (more > 0 ? options.separator + options.moreSize(more) : 0)
    const size = options.size(rendered)
    if (size <= room) {
      shown.push(rendered)
      shownWeight += weight(item)
      used += (shown.length > 1 ? options.separator : 0) + size
      continue
    }
    if (shown.length === 0 && room > 0) {
      shown.push(options.shorten(rendered, room))
      shownWeight += weight(item)
    }
    break
  }
  return { shown, more: total - shownWeight }
}

/** `text` cut at its end ("...") to at most `room` by `size` (characters, or bytes for non-ASCII text). */
export function shortenTo(text: string, room: number, size: (s: string) => number): string {
  let cut = cutEnd(text, room)
  // Bytes can exceed characters: shorten until the measure agrees (a few steps at most for a 1 KiB text).
  while (size(cut) > room && cut.length > 3) cut = cutEnd(cut, Math.max(3, cut.length - Math.ceil((size(cut) - room) / 3) - 1))
  return cut
}

/**
 * One warning of at most `max` characters, its `tail` kept whole (the "(already present, unchanged by this
 * update)" that says why it did not deny): the text before it is shortened instead.
 */
export function warningWithin(text: string, tail: string, max: number): string {
  if (text.length + tail.length <= max) return `${text}${tail}`
  return `${cutEnd(text, max - tail.length)}${tail}`
}
