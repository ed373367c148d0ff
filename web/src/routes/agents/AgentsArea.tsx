// Agent Orchestration Console: the supervision tree, agents, the task queue, the
// approval inbox and a task's timeline.
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { PageHeader, Spinner } from '../../components/ui';
import { Tabs } from '../../components/Tabs';
import { AgentsList } from './AgentsList';
import { TaskQueue } from './TaskQueue';
import { Approvals } from './Approvals';
import { TaskDetail } from './TaskDetail';

const SupervisionTree = lazy(() => import('./SupervisionTree').then((module) => ({ default: module.SupervisionTree })));

export function AgentsArea() {
  return (
    <div>
      <PageHeader title="Agent Orchestration" description="Every agent is a supervised actor: see the tree live, steer agents, decide what waits for a person." />
      <Tabs
        tabs={[
          { to: '/agents', label: 'Supervision tree', end: true },
          { to: '/agents/list', label: 'Agents' },
          { to: '/agents/tasks', label: 'Task queue' },
          { to: '/agents/approvals', label: 'Approval inbox' },
        ]}
      />
      <Routes>
        <Route
          index
          element={
            <Suspense fallback={<Spinner label="Loading the tree" />}>
              <SupervisionTree />
            </Suspense>
          }
        />
        <Route path="list" element={<AgentsList />} />
        <Route path="tasks" element={<TaskQueue />} />
        <Route path="tasks/:id" element={<TaskDetail />} />
        <Route path="approvals" element={<Approvals />} />
      </Routes>
    </div>
  );
}
