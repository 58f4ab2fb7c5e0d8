// Reads the policy directories and values files the chart tests compare against.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../../support/fixtures.js'
import { chartDir } from './render.js'

export const bundledPoliciesDir = path.join(repoRoot, 'schemas/policies')
export const chartPoliciesDir = path.join(chartDir, 'policies')

/** file name -> exact text of every *.json in a directory (empty when the directory is missing). */
export function jsonFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>()
  if (!existsSync(dir)) return files
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    files.set(name, readFileSync(path.join(dir, name), 'utf8'))
  }
  return files
}

export function readYamlFile(file: string): unknown {
  return parse(readFileSync(file, 'utf8'))
}

export function readJsonFile(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'))
}
