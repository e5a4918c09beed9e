/**
 * Starting points for `.breakwater/agents.yaml`: four examples (simple, dev_team, devops,
 * local_ollama) with Breakwater's provider names (claude → anthropic, litellm GPT/Gemini → openai,
 * litellm llama → ollama). Each one is validated by a unit test.
 */
export const TEMPLATE_NAMES = ['simple', 'dev_team', 'devops', 'local_ollama'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const TEMPLATES: Readonly<Record<TemplateName, string>> = {
  simple: `# Simple single agent configuration
settings:
  default_provider: anthropic
  default_model: sonnet

agents:
  assistant:
    role: "You are a helpful assistant."
    provider: anthropic
    model: sonnet
    tools:
      - bash
      - read
      - write
`,
  dev_team: `# Software development team
settings:
  default_provider: anthropic
  default_model: sonnet
  timeout: 300
  sandbox_paths: true

agents:
  architect:
    role: |
      You are a senior software architect.
      You design scalable and maintainable systems.
      You make important technical decisions.
      You document decisions in ADRs (Architecture Decision Records).
    provider: anthropic
    model: opus
    tools: [read, write, list_dir, glob]
    # The agents it may ask with the delegate tool (none when absent).
    delegates: [developer, reviewer]

  developer:
    role: |
      You are an experienced full-stack developer.
      You write clean, well-documented, and testable code.
      You follow language best practices.
      You always include appropriate error handling.
    provider: anthropic
    model: sonnet
    tools: [read, write, bash, grep, glob]
    delegates: [tester]

  reviewer:
    role: |
      You are a demanding but constructive code reviewer.
      You look for bugs, security issues, and improvements.
      You suggest refactoring when needed.
      You validate that code follows standards.
    provider: openai
    model: gpt4o
    tools: [read, grep, glob]

  tester:
    role: |
      You are a QA engineer specialized in testing.
      You write unit, integration, and e2e tests.
      You identify edge cases and error scenarios.
      You ensure good test coverage.
    provider: openai
    model: gpt-4o-mini
    tools: [read, write, bash]
`,
  devops: `# DevOps team with server access
settings:
  default_provider: anthropic
  default_model: sonnet
  timeout: 300
  ssh_strict_host_checking: true

servers:
  production:
    host: prod.example.com
    user: deploy
    key: ~/.ssh/deploy_key
    description: "Production server"
  staging:
    host: staging.example.com
    user: deploy
    key: ~/.ssh/deploy_key
    description: "Staging server"

agents:
  deployer:
    role: |
      You are a deployment specialist.
      You deploy applications safely to production.
      You always verify deployments succeed.
      You rollback immediately if issues are detected.
    provider: anthropic
    model: sonnet
    tools: [ssh, bash, read]
    servers: [production, staging]
    # It may ask the monitor to check a deployment (and no one else).
    delegates: [monitor]

  monitor:
    role: |
      You are a systems monitoring expert.
      You check server health and metrics.
      You identify issues before they become problems.
    provider: anthropic
    model: haiku
    tools: [ssh, http_request, read]
    servers: [production, staging]
`,
  local_ollama: `# Using local Ollama models (no API costs!)
#
# Requirements:
#   1. Install Ollama: https://ollama.com
#   2. Pull the models: ollama pull llama3 && ollama pull codellama
settings:
  default_provider: ollama
  default_model: llama3
  timeout: 120
  max_tool_iterations: 15

agents:
  assistant:
    role: |
      You are a helpful assistant running locally.
      You can execute commands and work with files.
    provider: ollama
    model: llama3
    tools: [bash, read, write, list_dir]

  coder:
    role: |
      You are a coding assistant specialized in programming.
      You write clean, efficient code.
    provider: ollama
    model: codellama
    tools: [read, write, bash, grep]
`,
};
