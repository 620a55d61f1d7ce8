import { agentFigures } from './agent.js'
import { print } from './report.js'

print(await agentFigures(null))
