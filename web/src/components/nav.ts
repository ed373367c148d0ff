// The areas, in the order the sidebar and the command palette list them.
import { Bot, Gauge, GitPullRequest, LineChart, Megaphone, Palette, PlugZap, Settings, Users, type LucideIcon } from 'lucide-react';

export interface Area {
  path: string;
  label: string;
  icon: LucideIcon;
  description: string;
  keywords: string;
}

export const AREAS: Area[] = [
  { path: '/', label: 'Command Center', icon: Gauge, description: 'What needs attention now', keywords: 'home dashboard overview dora' },
  { path: '/agents', label: 'Agents', icon: Bot, description: 'Supervision tree, agents, tasks, approvals', keywords: 'orchestration supervision tree tasks queue approvals inbox' },
  { path: '/development', label: 'Development', icon: GitPullRequest, description: 'Repositories, pull requests, deployments', keywords: 'github vercel pull requests deployments rollback repositories incidents' },
  { path: '/design', label: 'Design System', icon: Palette, description: 'Figma files and components', keywords: 'figma components drift' },
  { path: '/team', label: 'Team', icon: Users, description: 'Members, roles, invitations', keywords: 'members roles invite invitations standups' },
  { path: '/social', label: 'Social', icon: Megaphone, description: 'Accounts, drafts, schedule, engagement', keywords: 'twitter x linkedin posts drafts schedule' },
  { path: '/intelligence', label: 'Intelligence', icon: LineChart, description: 'Metrics over time, events', keywords: 'analytics metrics charts events anomalies' },
  { path: '/integrations', label: 'Integrations', icon: PlugZap, description: 'Connect GitHub, Vercel, Figma, Slack, X, LinkedIn', keywords: 'connect webhook credentials sync' },
  { path: '/settings', label: 'Settings', icon: Settings, description: 'Organization, members, language model, schedules', keywords: 'settings organization rename members invitations llm language model schedules cron preferences' },
];
