import { Option, type Command } from 'commander'
import { envName, settingsOf, type CommandName, type RawFlags, type SettingName } from '../config.js'

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/**
 * Adds a command's options from the settings table (src/config.ts), the one place each flag is declared. No
 * commander defaults: parseConfig applies them after the environment, so the environment can override them.
 */
export function withSettings(command: Command, name: CommandName): Command {
  for (const [, setting] of settingsOf(name)) {
    const def = setting.default === undefined ? '' : ` (default: ${Array.isArray(setting.default) ? setting.default.join(', ') : String(setting.default)})`
    const names = `${setting.short === undefined ? '' : `-${setting.short}, `}--${setting.flag}`
    const option = new Option(setting.kind === 'flag' ? names : `${names} ${setting.arg ?? '<value>'}`, `${setting.help}${def}; env ${envName(setting.flag)}`)
    const choices = setting.choices?.[name]
    if (choices !== undefined) option.choices(choices)
    if (setting.kind === 'paths' || setting.kind === 'actions') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    command.addOption(option)
  }
  return command
}

/** commander's parsed options → the raw flags parseConfig takes, keyed by setting name. */
export function rawFlags(name: CommandName, opts: Record<string, unknown>): RawFlags {
  const flags: Record<string, unknown> = {}
  for (const [key, setting] of settingsOf(name)) {
    const value = opts[camel(setting.flag)]
    if (value !== undefined) flags[key satisfies SettingName] = value
  }
  return flags
}
