import { Option, type Command } from 'commander'
import { envName, settingsOf, type CommandName, type RawFlags, type SettingName } from '../config.js'

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

function aliasHelp(aliases: readonly string[] | undefined): string {
  return aliases === undefined || aliases.length === 0 ? '' : ` (also ${aliases.map((a) => `--${a}`).join(', ')})`
}

/**
 * Adds a command's options from the settings table (src/config.ts), the one place each flag is declared. No
 * commander defaults: parseConfig applies them after the environment, so the environment can override them.
 */
export function withSettings(command: Command, name: CommandName): Command {
  for (const [, setting] of settingsOf(name)) {
    const def = setting.default === undefined ? '' : ` (default: ${Array.isArray(setting.default) ? setting.default.join(', ') : String(setting.default)})`
    const names = `${setting.short === undefined ? '' : `-${setting.short}, `}--${setting.flag}`
    const option = new Option(setting.kind === 'flag' ? names : `${names} ${setting.arg ?? '<value>'}`, `${setting.help}${def}${aliasHelp(setting.aliases)}; env ${[setting.flag, ...(setting.aliases ?? [])].map(envName).join(' or ')}`)
    const choices = setting.choices?.[name]
    if (choices !== undefined) option.choices(choices)
    if (setting.kind === 'paths' || setting.kind === 'actions') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    command.addOption(option)
    for (const alias of setting.aliases ?? []) {
      const hidden = new Option(setting.kind === 'flag' ? `--${alias}` : `--${alias} ${setting.arg ?? '<value>'}`).hideHelp()
      if (setting.kind === 'paths') hidden.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
      command.addOption(hidden)
    }
  }
  return command
}

/** commander's parsed options → the raw flags parseConfig takes, keyed by setting name. */
export function rawFlags(name: CommandName, opts: Record<string, unknown>): RawFlags {
  const flags: Record<string, unknown> = {}
  for (const [key, setting] of settingsOf(name)) {
    // The flag's own name first, then its aliases (the older names): the first one given counts.
    const value = [setting.flag, ...(setting.aliases ?? [])].map((flag) => opts[camel(flag)]).find((v) => v !== undefined)
    if (value !== undefined) flags[key satisfies SettingName] = value
  }
  return flags
}
