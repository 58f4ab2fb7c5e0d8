/**
 * Range keywords fail closed on strings that are not IPs, unless the same schema also has `ipAddress`, which
 * already reports them: one reason per value, never a silent pass.
 */
export function invalidIpUnlessChecked(reason: string, parentSchema: Record<string, unknown>): string | undefined {
  return 'ipAddress' in parentSchema ? undefined : reason
}
