import * as vscode from 'vscode';
import type { ConfigProblem } from './coreViews';

/** agents.yaml problems in the Problems panel, each at its line. */
export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('breakwater');

  show(problem: ConfigProblem | undefined): void {
    this.collection.clear();
    if (!problem) return;
    const uri = vscode.Uri.file(problem.file);
    const issues = problem.issues.length ? problem.issues : [{ path: '', message: problem.message }];
    this.collection.set(
      uri,
      issues.map((issue) => {
        const line = Math.max(0, ('line' in issue && issue.line !== undefined ? issue.line : 1) - 1);
        const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), issue.path ? `${issue.path}: ${issue.message}` : issue.message, vscode.DiagnosticSeverity.Error);
        d.source = 'Breakwater';
        return d;
      }),
    );
  }

  dispose(): void {
    this.collection.dispose();
  }
}
